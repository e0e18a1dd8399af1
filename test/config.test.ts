import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('has working defaults for a two-command start', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8420, keyPrefix: 'clv', allowPlainHttp: false, tls: undefined, databaseUrl: undefined });
    expect(c.maxTtlSeconds).toEqual({ live: 7776000, test: 31536000, dev: null });
    expect(c.dataDir.endsWith('.clavis')).toBe(true);
  });

  it('names every bad setting at once', () => {
    try {
      loadConfig({ CLAVIS_PORT: 'eighty', CLAVIS_KEY_PREFIX: 'Clavis!', CLAVIS_LIVE_MAX_TTL_SECONDS: '0', CLAVIS_DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names).toEqual(['CLAVIS_PORT', 'CLAVIS_DATABASE_URL', 'CLAVIS_KEY_PREFIX', 'CLAVIS_LIVE_MAX_TTL_SECONDS']);
    }
  });

  it('refuses plain HTTP off loopback unless told, and half a TLS pair', () => {
    expect(() => loadConfig({ CLAVIS_HOST: '0.0.0.0' })).toThrow(/CLAVIS_ALLOW_PLAIN_HTTP/);
    expect(loadConfig({ CLAVIS_HOST: '0.0.0.0', CLAVIS_ALLOW_PLAIN_HTTP: 'true' }).allowPlainHttp).toBe(true);
    expect(loadConfig({ CLAVIS_HOST: '::1' }).host).toBe('::1');
    expect(() => loadConfig({ CLAVIS_TLS_CERT_FILE: '/x.pem' })).toThrow(/go together/);
    expect(loadConfig({ CLAVIS_HOST: '0.0.0.0', CLAVIS_TLS_CERT_FILE: '/c.pem', CLAVIS_TLS_KEY_FILE: '/k.pem' }).tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
  });
});
