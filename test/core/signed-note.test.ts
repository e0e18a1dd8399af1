import { createHash, generateKeyPairSync, sign as edSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointBody,
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519PublicKeyRaw,
  ed25519Signer,
  encodeVerifierKey,
  keyId,
  openNote,
  openSignedNote,
  parseVerifierKey,
  signNote,
} from '../../src/core/audit/signed-note.ts';
import type { VerifierKey } from '../../src/core/audit/signed-note.ts';

// The example key and note of golang.org/x/mod/sumdb/note (note_test.go), the reference
// implementation of C2SP signed notes.
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const GO_NOTE = `${GO_TEXT}\n${GO_SIG}`;

const ORIGIN = 'clavis.example/ws_test';
const ROOT = createHash('sha256').update('root').digest();

function newKey(): { pub: Buffer; signer: (m: Buffer) => Promise<Buffer>; vkey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = ed25519PublicKeyRaw(publicKey);
  return { pub, signer: ed25519Signer(privateKey), vkey: encodeVerifierKey(ORIGIN, pub) };
}

function reasonOf(result: { ok: true } | { ok: false; reason: string }): string {
  if (result.ok) throw new Error('expected a failure');
  return result.reason;
}

describe('signed notes: interoperability with the Go reference', () => {
  const seedKey = Buffer.from(GO_SKEY.slice('PRIVATE+KEY+PeterNeumann+c74f20a3+'.length), 'base64');
  const seed = seedKey.subarray(1);
  const pub = Buffer.from(GO_VKEY.slice('PeterNeumann+c74f20a3+'.length), 'base64').subarray(1);

  it('parses and re-encodes the reference verifier key', () => {
    const key = parseVerifierKey(GO_VKEY);
    expect(key.name).toBe('PeterNeumann');
    expect(key.keyId.toString('hex')).toBe('c74f20a3');
    expect(key.publicKeyRaw).toEqual(pub);
    expect(encodeVerifierKey('PeterNeumann', pub)).toBe(GO_VKEY);
    expect(keyId('PeterNeumann', pub).toString('hex')).toBe('c74f20a3');
  });

  it('signs the reference text byte for byte like Go (Ed25519 is deterministic)', async () => {
    expect(seedKey[0]).toBe(0x01);
    const privateKey = ed25519PrivateKey(seed);
    expect(ed25519PublicKeyRaw(privateKey)).toEqual(pub);
    expect(await signNote(GO_TEXT, 'PeterNeumann', ed25519Signer(privateKey), pub)).toBe(GO_NOTE);
  });

  it('opens the reference note, and refuses it as a checkpoint', () => {
    expect(openSignedNote(GO_NOTE, GO_VKEY)).toEqual({ ok: true, text: GO_TEXT });
    expect(reasonOf(openSignedNote(GO_NOTE.replace('cryptography', 'cryptographY'), GO_VKEY))).toMatch(/does not verify/);
    expect(reasonOf(openNote(GO_NOTE, GO_VKEY))).toMatch(/origin, size and root/);
  });

  it('refuses every mangling of the reference verifier key', () => {
    for (let i = 0; i <= GO_VKEY.length; i++) {
      for (let j = i + 1; j <= GO_VKEY.length; j++) {
        if (i !== 0 || j !== GO_VKEY.length) expect(() => parseVerifierKey(GO_VKEY.slice(i, j))).toThrow(TypeError);
      }
    }
    for (let i = 0; i < GO_VKEY.length; i++) {
      const mangled = GO_VKEY.slice(0, i) + String.fromCharCode(GO_VKEY.charCodeAt(i) + 1) + GO_VKEY.slice(i + 1);
      expect(() => parseVerifierKey(mangled), mangled).toThrow(TypeError);
    }
  });
});

describe('key ids and verifier keys', () => {
  it('computes the key id as SHA-256(name || 0x0A || 0x01 || key)[:4]', () => {
    const { pub } = newKey();
    const independent = createHash('sha256')
      .update(Buffer.concat([Buffer.from(ORIGIN, 'utf8'), Buffer.from('\n'), Buffer.from([1]), pub]))
      .digest()
      .subarray(0, 4);
    expect(keyId(ORIGIN, pub)).toEqual(independent);
    const encoded = encodeVerifierKey(ORIGIN, pub);
    expect(encoded).toBe(`${ORIGIN}+${independent.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`);
    const parsed = parseVerifierKey(encoded);
    expect(parsed.name).toBe(ORIGIN);
    expect(parsed.keyId).toEqual(independent);
    expect(parsed.publicKeyRaw).toEqual(pub);
    expect(parsed.publicKey.asymmetricKeyType).toBe('ed25519');
  });

  it('refuses key names with whitespace or plus, and keys of the wrong size', () => {
    const { pub } = newKey();
    for (const name of ['', 'a b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a+b', 'a\nb']) {
      expect(() => keyId(name, pub), JSON.stringify(name)).toThrow(TypeError);
      expect(() => encodeVerifierKey(name, pub)).toThrow(TypeError);
    }
    expect(() => keyId('ok', pub.subarray(1))).toThrow(TypeError);
  });

  it('refuses verifier keys with a wrong id, type or encoding', () => {
    const { pub } = newKey();
    const good = encodeVerifierKey(ORIGIN, pub);
    const [name, id] = good.split('+');
    const key64 = good.slice(`${name ?? ''}+${id ?? ''}+`.length);
    expect(() => parseVerifierKey(`${ORIGIN}+00000000+${key64}`)).toThrow(/key id/);
    // Upper-case hex is refused (a fixed id: the real one may be all digits, with no case to change).
    expect(() => parseVerifierKey(`${ORIGIN}+ABCDEF01+${key64}`)).toThrow(/hex/);
    expect(() => parseVerifierKey(`other+${id ?? ''}+${key64}`)).toThrow(/key id/);
    const ecdsaType = Buffer.concat([Buffer.from([2]), pub]).toString('base64');
    expect(() => parseVerifierKey(`${ORIGIN}+${id ?? ''}+${ecdsaType}`)).toThrow(/Ed25519/);
    expect(() => parseVerifierKey(`${ORIGIN}+${id ?? ''}+${key64.slice(0, -1)}`)).toThrow(/base64/);
    expect(() => parseVerifierKey(ORIGIN)).toThrow(TypeError);
  });
});

describe('signing and opening checkpoints', () => {
  it('writes the checkpoint body', () => {
    expect(checkpointBody(ORIGIN, 0, ROOT)).toBe(`${ORIGIN}\n0\n${ROOT.toString('base64')}\n`);
    expect(() => checkpointBody('', 1, ROOT)).toThrow(TypeError);
    expect(() => checkpointBody('a\nb', 1, ROOT)).toThrow(TypeError);
    expect(() => checkpointBody(ORIGIN, -1, ROOT)).toThrow(RangeError);
    expect(() => checkpointBody(ORIGIN, 1.5, ROOT)).toThrow(RangeError);
    expect(() => checkpointBody(ORIGIN, 1, ROOT.subarray(1))).toThrow(RangeError);
  });

  it('round-trips: sign then open returns origin, size and root', async () => {
    const { pub, signer, vkey } = newKey();
    const body = checkpointBody(ORIGIN, 1234, ROOT);
    const note = await signNote(body, ORIGIN, signer, pub);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([ORIGIN, '1234', ROOT.toString('base64'), '']);
    expect(lines[4]).toMatch(new RegExp(`^\u2014 ${ORIGIN} [A-Za-z0-9+/]{91}=$`));
    expect(lines[5]).toBe('');
    const sig = Buffer.from((lines[4] ?? '').split(' ')[2] ?? '', 'base64');
    expect(sig.subarray(0, 4)).toEqual(keyId(ORIGIN, pub));
    expect(sig).toHaveLength(68);
    expect(openNote(note, vkey)).toEqual({ ok: true, origin: ORIGIN, treeSize: 1234, rootHash: ROOT });
    expect(openNote(note, parseVerifierKey(vkey))).toEqual({ ok: true, origin: ORIGIN, treeSize: 1234, rootHash: ROOT });
  });

  it('fails for a tampered body', async () => {
    const { pub, signer, vkey } = newKey();
    const note = await signNote(checkpointBody(ORIGIN, 10, ROOT), ORIGIN, signer, pub);
    expect(reasonOf(openNote(note.replace('\n10\n', '\n11\n'), vkey))).toMatch(/does not verify/);
    expect(reasonOf(openNote(note.replace(ORIGIN, `${ORIGIN}x`), vkey))).toMatch(/does not verify/);
    const otherRoot = createHash('sha256').update('other').digest().toString('base64');
    expect(reasonOf(openNote(note.replace(ROOT.toString('base64'), otherRoot), vkey))).toMatch(/does not verify/);
  });

  it('fails for a wrong key, or the right key under another name', async () => {
    const { pub, signer } = newKey();
    const note = await signNote(checkpointBody(ORIGIN, 10, ROOT), ORIGIN, signer, pub);
    expect(reasonOf(openNote(note, newKey().vkey))).toMatch(/no signature by/);
    expect(reasonOf(openNote(note, encodeVerifierKey('clavis.example/other', pub)))).toMatch(/no signature by/);
    // Same name and key id but another public key: the signature is checked, and fails.
    const impostor: VerifierKey = { ...parseVerifierKey(encodeVerifierKey(ORIGIN, pub)), ...pickKey(newKey().pub) };
    expect(reasonOf(openNote(note, impostor))).toMatch(/does not verify/);
    expect(reasonOf(openNote(note, 'not a key'))).toMatch(/verifier key/);
  });

  it('fails for a truncated or damaged signature', async () => {
    const { pub, signer, vkey } = newKey();
    const note = await signNote(checkpointBody(ORIGIN, 10, ROOT), ORIGIN, signer, pub);
    const [text, line] = note.split('\n\n');
    const sig = (line ?? '').trimEnd().split(' ')[2] ?? '';
    const blob = Buffer.from(sig, 'base64');
    const withSig = (b64: string): string => `${text ?? ''}\n\n\u2014 ${ORIGIN} ${b64}\n`;
    expect(openNote(withSig(sig), vkey).ok).toBe(true);
    expect(reasonOf(openNote(withSig(blob.subarray(0, 67).toString('base64')), vkey))).toMatch(/does not verify/);
    expect(reasonOf(openNote(withSig(blob.subarray(0, 4).toString('base64')), vkey))).toMatch(/malformed signature/);
    expect(reasonOf(openNote(withSig(sig.slice(0, -1)), vkey))).toMatch(/malformed signature/);
    const flipped = Buffer.from(blob);
    flipped[40] = (flipped[40] ?? 0) ^ 1;
    expect(reasonOf(openNote(withSig(flipped.toString('base64')), vkey))).toMatch(/does not verify/);
    expect(reasonOf(openNote(note.slice(0, -1), vkey))).toMatch(/newline/);
  });

  it('refuses malformed tree sizes, roots and line structure even when properly signed', async () => {
    const { pub, signer, vkey } = newKey();
    const root64 = ROOT.toString('base64');
    const cases: [string, RegExp][] = [
      [`${ORIGIN}\n01\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n-1\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n+1\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n1.0\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n1e3\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n 1\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n0x10\n${root64}\n`, /tree size/],
      [`${ORIGIN}\n99999999999999999999\n${root64}\n`, /too large/],
      [`${ORIGIN}\n1\n${ROOT.subarray(1).toString('base64')}\n`, /root hash/],
      [`${ORIGIN}\n1\n${root64.replace('=', '')}\n`, /root hash/],
      [`${ORIGIN}\n1\n${ROOT.toString('base64url')}\n`, /root hash/],
      [`${ORIGIN}\n1\n`, /origin, size and root/],
      [`${ORIGIN}\n1\n${root64}\nextension\n`, /extension/],
      [`\n1\n${root64}\n`, /origin/],
    ];
    for (const [body, reason] of cases) {
      const note = await signNote(body, ORIGIN, signer, pub);
      expect(openSignedNote(note, vkey).ok).toBe(true);
      expect(reasonOf(openNote(note, vkey)), JSON.stringify(body)).toMatch(reason);
    }
    expect(openNote(await signNote(`${ORIGIN}\n0\n${root64}\n`, ORIGIN, signer, pub), vkey).ok).toBe(true);
  });

  it('ignores signatures by other keys, as cosigners add them, but refuses a repeated own signature', async () => {
    const { pub, signer, vkey } = newKey();
    const body = checkpointBody(ORIGIN, 5, ROOT);
    const note = await signNote(body, ORIGIN, signer, pub);
    const other = newKey();
    const cosigned = await signNote(body, 'witness.example/w1', other.signer, other.pub);
    const cosignatureLine = cosigned.slice(body.length + 1);
    const both = note + cosignatureLine;
    expect(openNote(both, vkey).ok).toBe(true);
    expect(openNote(both, encodeVerifierKey('witness.example/w1', other.pub)).ok).toBe(true);
    const ownLine = note.slice(body.length + 1);
    expect(reasonOf(openNote(note + ownLine, vkey))).toMatch(/more than one/);
  });

  it('refuses notes with bad structure or characters', async () => {
    const { pub, signer, vkey } = newKey();
    const body = checkpointBody(ORIGIN, 5, ROOT);
    const note = await signNote(body, ORIGIN, signer, pub);
    expect(reasonOf(openNote(note.replace('\n\n', '\n'), vkey))).toMatch(/blank line/);
    expect(reasonOf(openNote(note.replace('\u2014', '-'), vkey))).toMatch(/malformed signature/);
    expect(reasonOf(openNote(note.replace(`\u2014 ${ORIGIN} `, `\u2014 ${ORIGIN}`), vkey))).toMatch(/malformed/);
    expect(reasonOf(openNote(note.replace('\n5\n', '\n5\r\n'), vkey))).toMatch(/control/);
    expect(reasonOf(openNote(`${note}\u2014 x\n`, vkey))).toMatch(/malformed signature/);
    expect(reasonOf(openNote(`x${'\n'.repeat(2)}${'\u2014 a AAAAAAA=\n'.repeat(101)}`, vkey))).toMatch(/too many/);
  });

  it('refuses to sign bad text or with a signer that does not hold the key', async () => {
    const { pub, signer } = newKey();
    await expect(signNote('no newline', ORIGIN, signer, pub)).rejects.toThrow(TypeError);
    await expect(signNote('', ORIGIN, signer, pub)).rejects.toThrow(TypeError);
    await expect(signNote('bell\u0007\n', ORIGIN, signer, pub)).rejects.toThrow(TypeError);
    await expect(signNote('ok\n', 'bad name', signer, pub)).rejects.toThrow(TypeError);
    await expect(signNote('ok\n', ORIGIN, newKey().signer, pub)).rejects.toThrow(/does not verify/);
    const { privateKey } = generateKeyPairSync('ed25519');
    await expect(signNote('ok\n', ORIGIN, async (m) => edSign(null, m, privateKey).subarray(1), pub)).rejects.toThrow();
  });
});

function pickKey(pub: Buffer): Pick<VerifierKey, 'publicKeyRaw' | 'publicKey'> {
  return { publicKeyRaw: pub, publicKey: ed25519PublicKey(pub) };
}
