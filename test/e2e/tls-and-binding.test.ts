import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerExitedError, cleanup, http, makeTempDir, startServer } from './process.ts';

const OPENSSL = '/usr/bin/openssl';

afterEach(cleanup);

/** A self-signed P-256 certificate for 127.0.0.1, valid one day. */
function selfSigned(): { certFile: string; keyFile: string; cert: Buffer } {
  const dir = makeTempDir('clavis-e2e-tls-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

/** GET over HTTPS trusting only `ca` (the default CAs when not given). */
function httpsGet(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'GET', timeout: 10_000, ...(ca === undefined ? {} : { ca }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** The error a start that must fail gives, or a failure when it started. */
async function startFailure(env: Record<string, string>): Promise<ServerExitedError> {
  try {
    const server = await startServer(env);
    await server.kill9();
  } catch (err) {
    if (err instanceof ServerExitedError) return err;
    throw err;
  }
  throw new Error('the server started but should have refused to');
}

describe('binding and TLS', () => {
  it('refuses plain HTTP on a non-loopback address, naming CLAVIS_ALLOW_PLAIN_HTTP', async () => {
    const err = await startFailure({ CLAVIS_HOST: '0.0.0.0' });
    expect(err.exit.code).not.toBe(0);
    expect(err.exit.code).not.toBeNull();
    expect(err.stderr).toContain('CLAVIS_ALLOW_PLAIN_HTTP');
    expect(err.stderr).toContain('CLAVIS_HOST');
    expect(err.stdout).not.toMatch(/listening/);
  });

  it('starts on 0.0.0.0 with CLAVIS_ALLOW_PLAIN_HTTP=true, and stops cleanly', async () => {
    const server = await startServer({ CLAVIS_HOST: '0.0.0.0', CLAVIS_ALLOW_PLAIN_HTTP: 'true' });
    const url = new URL(server.url);
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe('0.0.0.0');
    const health = await http(`http://127.0.0.1:${url.port}`, 'GET', '/healthz');
    expect(health.status).toBe(200);
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('refuses a certificate without its key', async () => {
    const { certFile } = selfSigned();
    const err = await startFailure({ CLAVIS_TLS_CERT_FILE: certFile });
    expect(err.exit.code).not.toBe(0);
    expect(err.stderr).toContain('CLAVIS_TLS_KEY_FILE');
  });

  it('speaks HTTPS only with CLAVIS_TLS_CERT_FILE and CLAVIS_TLS_KEY_FILE', async () => {
    const { certFile, keyFile, cert } = selfSigned();
    const server = await startServer({ CLAVIS_TLS_CERT_FILE: certFile, CLAVIS_TLS_KEY_FILE: keyFile });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stdout.join('\n')).toContain(`${server.url}/docs`);

    const health = await httpsGet(`${server.url}/healthz`, cert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });

    // Without the CA the client refuses the self-signed certificate.
    await expect(httpsGet(`${server.url}/healthz`)).rejects.toThrow(/self-signed|self signed/);

    // Plain HTTP to the same port gets no answer.
    const plain = server.url.replace(/^https:/, 'http:');
    await expect(fetch(`${plain}/healthz`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow();
    // The server is still fine afterwards.
    expect((await httpsGet(`${server.url}/readyz`, cert)).status).toBe(200);
  });

  it('TLS also allows a non-loopback address without CLAVIS_ALLOW_PLAIN_HTTP', async () => {
    const { certFile, keyFile, cert } = selfSigned();
    const server = await startServer({ CLAVIS_HOST: '0.0.0.0', CLAVIS_TLS_CERT_FILE: certFile, CLAVIS_TLS_KEY_FILE: keyFile });
    const url = new URL(server.url);
    expect(url.protocol).toBe('https:');
    expect((await httpsGet(`https://127.0.0.1:${url.port}/healthz`, cert)).status).toBe(200);
  });
});
