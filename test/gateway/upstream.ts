/**
 * A real HTTP upstream for gateway tests: a node:http server on 127.0.0.1, port 0, that counts
 * every request it gets and
 * - echoes method, URL, headers and body as JSON (any path not listed below);
 * - `GET …/download`: streams DOWNLOAD_BYTES with chunked encoding, holding after the first MiB
 *   until `releaseDownload()` is called (so a test can show the client got bytes before the
 *   upstream finished);
 * - `POST|PUT …/upload`: reads the body as it streams (`uploadReceived` grows chunk by chunk) and
 *   answers its size and SHA-256;
 * - upgrade to a websocket on any path (101 with the right Sec-WebSocket-Accept, then echoes
 *   raw bytes back), except paths ending in `/refused`, which answer 403.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export const DOWNLOAD_BYTES = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** What the upstream saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface Echo extends Seen {
  body: string;
}

export interface Upstream {
  url: string;
  /** Every request (and upgrade) the upstream received, in order. */
  seen: Seen[];
  uploadReceived: number;
  releaseDownload(): void;
  close(): Promise<void>;
}

/** The accept value a websocket server answers for a client's Sec-WebSocket-Key (RFC 6455). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A deterministic 64 KiB block, so downloaded bytes can be checked without storing 10 MB. */
export const BLOCK = Buffer.from(Array.from({ length: CHUNK }, (_, i) => (i * 7 + 3) % 251));

export async function startUpstream(): Promise<Upstream> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const sockets = new Set<Socket | Duplex>();
  const state: Upstream = {
    url: '',
    seen: [],
    uploadReceived: 0,
    releaseDownload: () => release(),
    close: async () => {
      release();
      for (const s of sockets) s.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    state.seen.push({ method: req.method ?? '', url, headers: req.headers });
    if (url.endsWith('/download')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': 'download' });
      void (async () => {
        for (let sent = 0; sent < DOWNLOAD_BYTES; sent += CHUNK) {
          if (sent === 1024 * 1024) await released;
          if (!res.write(BLOCK)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      })();
      return;
    }
    if (url.endsWith('/upload')) {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
        state.uploadReceived += c.length;
        hash.update(c);
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes, sha256: hash.digest('hex'), chunked: req.headers['transfer-encoding'] === 'chunked' }));
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const echo: Echo = { method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-upstream': 'echo', connection: 'keep-alive, x-hop', 'x-hop': 'secret' });
      res.end(JSON.stringify(echo));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    state.seen.push({ method: req.method ?? '', url, headers: req.headers });
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    if (url.endsWith('/refused')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nnope');
      return;
    }
    const key = req.headers['sec-websocket-key'];
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${websocketAccept(typeof key === 'string' ? key : '')}`,
        `X-Seen-Key-Id: ${String(req.headers['x-clavis-key-id'] ?? '-')}`,
        '',
        '',
      ].join('\r\n'),
    );
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
