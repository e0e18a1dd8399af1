/**
 * Finds the line of a value inside JSON text by its path (`['prices', 12, 1]`), so errors about a
 * bad value in a JSON file can name the line like CSV errors do. Runs only when reporting an error.
 */

/** One step of a JSON path: an object key or an array index. */
export type JsonPath = readonly (string | number)[];

/** `prices[12][1]`, `[3].current_price`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out === '' ? step : `.${step}`;
  return out === '' ? '(document)' : out;
}

/**
 * The 1-based line where the value at `path` starts, or undefined when the text does not hold it.
 *
 * @example lineOfPath('{\n"a": [1,\n 2]}', ['a', 1]) // 3
 */
export function lineOfPath(text: string, path: JsonPath): number | undefined {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t' || text[i] === '\ufeff')) i++;
  };
  const skipString = (): string => {
    const start = i + 1;
    i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return text.slice(start, i - 1);
  };
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') {
      skipString();
      return;
    }
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < n) {
        const ch = text[i];
        if (ch === '"') {
          skipString();
          continue;
        }
        if (ch === '{' || ch === '[') depth++;
        else if (ch === '}' || ch === ']') {
          depth--;
          if (depth === 0) {
            i++;
            return;
          }
        }
        i++;
      }
      return;
    }
    while (i < n && !/[\s,\]}]/.test(text[i] ?? '')) i++;
  };
  for (const step of path) {
    ws();
    if (typeof step === 'number') {
      if (text[i] !== '[') return undefined;
      i++;
      for (let k = 0; k < step; k++) {
        ws();
        if (text[i] === ']') return undefined;
        skipValue();
        ws();
        if (text[i] !== ',') return undefined;
        i++;
      }
      ws();
      if (text[i] === ']') return undefined;
    } else {
      if (text[i] !== '{') return undefined;
      i++;
      let found = false;
      while (i < n && !found) {
        ws();
        if (text[i] !== '"') return undefined;
        const key = skipString();
        ws();
        if (text[i] !== ':') return undefined;
        i++;
        ws();
        if (key === step) found = true;
        else {
          skipValue();
          ws();
          if (text[i] !== ',') return undefined;
          i++;
        }
      }
      if (!found) return undefined;
    }
  }
  let line = 1;
  for (let k = 0; k < i && k < n; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** Line of a character offset, from a JSON.parse message that names one ("at position 123"). */
export function lineOfSyntaxError(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (m === null) return undefined;
  const pos = Number(m[1]);
  let line = 1;
  for (let k = 0; k < pos && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}
