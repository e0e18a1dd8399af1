import { InvalidArgumentError } from 'commander';

// Option parsers for commander: an InvalidArgumentError becomes a usage error (exit 2) that names
// the option, before any request is sent.

/** A whole number ≥ `min`. */
export function integer(min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    const n = Number(value.trim());
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}, got "${value}"`);
    return n;
  };
}

/** A date or date-time that Date.parse understands, normalised to ISO 8601 UTC for the API. */
export function isoDate(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`expected an ISO 8601 date or time, got "${value}"`);
  return new Date(ms).toISOString();
}

/** A JSON object (metadata). */
export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"team":"payments"}\'');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, not an array or a single value');
  return parsed as Record<string, unknown>;
}

/** Collects a repeatable option (`--scope a --scope b`) into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
