/**
 * Serialises a JSON value canonically, after RFC 8785 (JCS): object keys sorted by UTF-16 code
 * units, no whitespace, strings and numbers exactly as `JSON.stringify` writes them (which is the
 * ECMAScript serialisation JCS adopts). Object properties whose value is `undefined` are omitted,
 * as `JSON.stringify` does.
 *
 * It throws instead of silently dropping or coercing what `JSON.stringify` would: non-finite
 * numbers, `undefined` in arrays (and array holes), functions, symbols, bigints, cycles, and
 * objects that are not plain (`Date`, `Map`, `Buffer`, class instances…). The output is hashed
 * into the audit log, so a value that would not survive a JSON round trip unchanged must be
 * refused where it is written, not discovered when a verifier recomputes a different hash.
 *
 * @example canonicalJson({ b: [1, 'x'], a: { d: true, c: null } }) // '{"a":{"c":null,"d":true},"b":[1,"x"]}'
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set<object>(), '$');
  return parts.join('');
}

function write(value: unknown, out: string[], ancestors: Set<object>, path: string): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path}`);
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      // undefined, function, symbol, bigint: none has a JSON form.
      throw new TypeError(`canonicalJson: cannot serialise ${typeof value} at ${path}`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (ancestors.has(value)) throw new TypeError(`canonicalJson: cycle at ${path}`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      // Index access (not iteration helpers) so holes read as undefined and are refused.
      write((value as unknown[])[i], out, ancestors, `${path}[${i}]`);
    }
    out.push(']');
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: not a plain object at ${path}`);
    }
    const record = value as Record<string, unknown>;
    // The default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks for.
    const keys = Object.keys(record).sort();
    out.push('{');
    let first = true;
    for (const key of keys) {
      const child = record[key];
      if (child === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(child, out, ancestors, `${path}.${key}`);
    }
    out.push('}');
  }
  ancestors.delete(value);
}
