/**
 * Errors of the market-data layer. Each carries a stable `code` (UPPER_SNAKE) so the HTTP layer
 * can map it to the error registry when these reach an endpoint; the message is for humans.
 */

/** Where a bad value sits: file, 1-based line (when known) and field (column or JSON path). */
export interface DataLocation {
  file: string;
  line?: number;
  field?: string;
}

/**
 * Bad input data: a malformed CSV row, a JSON document of the wrong shape, a duplicate day.
 * The message starts with `file:line: field:` so a user can jump straight to it.
 *
 * @example new MarketDataError('price must be a positive number, got "abc"', { file: 'p.csv', line: 12, field: 'price' }).message
 * // 'p.csv:12: price: price must be a positive number, got "abc"'
 */
export class MarketDataError extends Error {
  readonly code = 'MARKET_DATA_INVALID';
  readonly location: DataLocation | undefined;
  readonly reason: string;

  constructor(reason: string, location?: DataLocation) {
    super(location === undefined ? reason : `${formatLocation(location)}: ${reason}`);
    this.name = 'MarketDataError';
    this.location = location;
    this.reason = reason;
  }
}

/** `file:line: field` with the parts that are known. */
export function formatLocation(loc: DataLocation): string {
  const where = loc.line === undefined ? loc.file : `${loc.file}:${loc.line}`;
  return loc.field === undefined ? where : `${where}: ${loc.field}`;
}

/**
 * A market-data HTTP API answered with an error, or could not be reached, after the retries
 * allowed. The message names the path (never the API key, which travels in a header).
 */
export class MarketApiError extends Error {
  readonly code = 'MARKET_API_FAILED';
  /** HTTP status, or null when no answer came (network error, timeout). */
  readonly status: number | null;
  readonly path: string;
  readonly attempts: number;

  constructor(message: string, opts: { status: number | null; path: string; attempts: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MarketApiError';
    this.status = opts.status;
    this.path = opts.path;
    this.attempts = opts.attempts;
  }
}
