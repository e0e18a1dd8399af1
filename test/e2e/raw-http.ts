/**
 * HTTP/1.1 over a bare TCP socket, for tests that must send what fetch and undici refuse to:
 * control characters in headers, oversized headers, broken framing, raw bytes in the path. Every
 * request closes its connection, so the answer is everything read until the server closes.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
}

export interface RawRequest {
  method: string;
  /** Request target as sent (no encoding is applied). */
  path: string;
  headers?: Record<string, string | Buffer>;
  body?: string | Buffer;
  /** Content-Length of the body unless a header sets framing; false sends none. */
  contentLength?: boolean;
  /** Half-close the connection after writing (a body shorter than its Content-Length ends there). */
  endAfterWrite?: boolean;
}

/** Decodes a chunked body (enough for the answers these tests read). */
function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Parses what the server sent on a closed connection. */
export function parseAnswer(data: Buffer): RawAnswer {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no complete HTTP answer: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))}`);
  const [statusLine = '', ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (m?.[1] === undefined) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = data.subarray(split + 4);
  const body = (headers['transfer-encoding'] ?? '').includes('chunked') ? dechunk(rest) : rest;
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(m[1]), headers, body: text, json };
}

/** Sends exactly these bytes and reads until the server closes (or fails after `timeoutMs`). */
export function sendRaw(baseUrl: string, bytes: Buffer, opts: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${opts.timeoutMs ?? 10_000} ms; got ${JSON.stringify(Buffer.concat(chunks).subarray(0, 200).toString('latin1'))}`));
    }, opts.timeoutMs ?? 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A server that answers before reading the whole request may reset the connection: the answer
    // read so far is still the answer.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.write(bytes, () => {
      if (opts.endAfterWrite === true) socket.end();
    });
  });
}

/**
 * Builds the bytes of a request (Host and Connection: close added) and sends them.
 *
 * @example const r = await rawRequest(url, { method: 'GET', path: '/v1/keys', headers: { 'x-big': 'a'.repeat(20_000) } })
 */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const host = new URL(baseUrl).host;
  const parts: Buffer[] = [Buffer.from(`${req.method} `, 'latin1'), Buffer.from(req.path, 'utf8'), Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`, 'latin1')];
  for (const [name, value] of Object.entries(req.headers ?? {})) parts.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n', 'latin1'));
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const framed = Object.keys(req.headers ?? {}).some((n) => /^(content-length|transfer-encoding)$/i.test(n));
  if (body !== undefined && !framed && req.contentLength !== false) parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`, 'latin1'));
  parts.push(Buffer.from('\r\n', 'latin1'));
  if (body !== undefined) parts.push(body);
  return sendRaw(baseUrl, Buffer.concat(parts), { endAfterWrite: req.endAfterWrite ?? false });
}
