/**
 * Epoch ms of an audit event time, for the `since`/`until` filters. The ISO string itself is kept
 * verbatim because it is part of the hashed leaf; this number is only an index.
 */
export function eventTimeMs(time: string): number {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`audit event time is not an ISO 8601 date: ${time}`);
  return ms;
}

/** Thrown when repos handed to a transaction are used after it ended (a leaked promise). */
export function transactionEnded(): Error {
  return new Error('transaction already ended: repos passed to transact() are only valid inside the callback');
}
