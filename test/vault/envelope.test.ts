import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecryptionError } from '../../src/core/ports/key-provider.ts';
import { openWithKey, sealWithKey, secretAad } from '../../src/core/vault/envelope.ts';

const key = randomBytes(32);

describe('envelope crypto (AES-256-GCM with AAD)', () => {
  it('round-trips any value under any AAD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 256 }), (value, aad) => {
        const blob = sealWithKey(key, Buffer.from(value), Buffer.from(aad));
        expect(openWithKey(key, blob, Buffer.from(aad)).equals(Buffer.from(value))).toBe(true);
      }),
    );
  });

  it('any flipped bit, truncation or other AAD fails to authenticate', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (value, at, bit) => {
        const aad = Buffer.from('aad');
        const blob = sealWithKey(key, Buffer.from(value), aad);
        const bad = Buffer.from(blob);
        const i = at % bad.length;
        bad[i] = (bad[i] ?? 0) ^ (1 << bit);
        expect(() => openWithKey(key, bad, aad)).toThrow(DecryptionError);
        expect(() => openWithKey(key, blob.subarray(0, blob.length - 1), aad)).toThrow(DecryptionError);
        expect(() => openWithKey(key, blob, Buffer.from('aae'))).toThrow(DecryptionError);
      }),
    );
  });

  it('the AAD binds workspace, environment, path, version and purpose without ambiguity', () => {
    const base = { workspaceId: 'ws_a', environment: 'live' as const, path: 'a/b' };
    const aads = [
      secretAad('value', base, 1),
      secretAad('value', base, 2),
      secretAad('data-key', base, 1),
      secretAad('value', { ...base, workspaceId: 'ws_b' }, 1),
      secretAad('value', { ...base, environment: 'test' }, 1),
      secretAad('value', { ...base, path: 'a/c' }, 1),
      secretAad('value', { ...base, workspaceId: 'ws_a","live' }, 1),
    ].map((b) => b.toString('hex'));
    expect(new Set(aads).size).toBe(aads.length);
  });
});
