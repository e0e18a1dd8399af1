/**
 * Errors of the index layer, each with a stable UPPER_SNAKE `code` for the HTTP layer to map
 * (see the error registry); messages say what to change.
 */

/** The data cannot support the index: no BTC, no bear asset, an empty range. */
export class IndexDataError extends Error {
  readonly code = 'INDEX_DATA_INSUFFICIENT';

  constructor(message: string) {
    super(message);
    this.name = 'IndexDataError';
  }
}

/** A date outside what the index covers, or a malformed query. */
export class IndexQueryError extends Error {
  readonly code: 'INDEX_DATE_OUT_OF_RANGE' | 'INDEX_QUERY_INVALID' | 'ASSET_NOT_FOUND';
  readonly field: string;

  constructor(code: IndexQueryError['code'], field: string, message: string) {
    super(message);
    this.name = 'IndexQueryError';
    this.code = code;
    this.field = field;
  }
}
