import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/model.ts';
import {
  EMPTY_ROOT,
  MerkleTree,
  hashChildren,
  hashLeaf,
  leafHashOfEvent,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/audit/merkle.ts';

interface Vectors {
  leafInputs: string[];
  roots: string[];
  inclusionProofs: { leafIndex: number; treeSize: number; proof: string[] }[];
  consistencyProofs: { size1: number; size2: number; proof: string[] }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/rfc6962-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i}`);
  return v;
}

/** RFC 9162 section 2.1.1 MTH, written straight from the definition. */
function naiveRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return at(leaves, 0);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

function vectorTree(): MerkleTree {
  const tree = new MerkleTree();
  for (const input of vectors.leafInputs) tree.append(hashLeaf(unhex(input)));
  return tree;
}

/** Distinct pseudo-random leaf hashes, cheap to make. */
function leaves(count: number, salt = 0): Buffer[] {
  return Array.from({ length: count }, (_, i) => hashLeaf(Buffer.from(`leaf ${salt} ${i}`)));
}

function treeOf(hashes: readonly Buffer[]): MerkleTree {
  const tree = new MerkleTree();
  for (const h of hashes) tree.append(h);
  return tree;
}

function flipped(b: Buffer): Buffer {
  const copy = Buffer.from(b);
  copy[0] = (copy[0] ?? 0) ^ 0x01;
  return copy;
}

describe('RFC 6962 hashing', () => {
  it('hashes leaves and nodes with the 0x00 / 0x01 prefixes', () => {
    const a = Buffer.from('abc');
    expect(hashLeaf(a)).toEqual(createHash('sha256').update(Buffer.from([0])).update(a).digest());
    const l = hashLeaf(Buffer.from('l'));
    const r = hashLeaf(Buffer.from('r'));
    expect(hashChildren(l, r)).toEqual(createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest());
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes an event as the leaf of its canonical JSON', () => {
    const event: AuditEvent = {
      id: 'evt_1',
      workspaceId: 'ws_1',
      seq: 0,
      time: '2024-01-01T00:00:00.000Z',
      actor: { type: 'system', id: 'bootstrap' },
      action: 'workspace.created',
      target: null,
      data: { b: 1, a: 'x' },
    };
    const json =
      '{"action":"workspace.created","actor":{"id":"bootstrap","type":"system"},"data":{"a":"x","b":1},' +
      '"id":"evt_1","seq":0,"target":null,"time":"2024-01-01T00:00:00.000Z","workspaceId":"ws_1"}';
    expect(leafHashOfEvent(event)).toEqual(hashLeaf(Buffer.from(json, 'utf8')));
  });
});

describe('MerkleTree against the RFC 6962 vectors', () => {
  const tree = vectorTree();

  it('computes every root for sizes 0 to 8', () => {
    expect(vectors.roots).toHaveLength(9);
    vectors.roots.forEach((root, size) => {
      expect(hex(tree.root(size))).toBe(root);
      const prefix = vectors.leafInputs.slice(0, size).map((x) => hashLeaf(unhex(x)));
      expect(hex(rootOf(prefix))).toBe(root);
      expect(hex(treeOf(prefix).root())).toBe(root);
    });
  });

  it.each(vectors.inclusionProofs)('inclusion proof for leaf $leafIndex of $treeSize', (v) => {
    const proof = tree.inclusionProof(v.leafIndex, v.treeSize);
    expect(proof.map(hex)).toEqual(v.proof);
    const leaf = hashLeaf(unhex(at(vectors.leafInputs, v.leafIndex)));
    const root = unhex(at(vectors.roots, v.treeSize));
    expect(verifyInclusion(leaf, v.leafIndex, v.treeSize, v.proof.map(unhex), root)).toBe(true);
  });

  it.each(vectors.consistencyProofs)('consistency proof from $size1 to $size2', (v) => {
    const proof = tree.consistencyProof(v.size1, v.size2);
    expect(proof.map(hex)).toEqual(v.proof);
    const rootM = unhex(at(vectors.roots, v.size1));
    const rootN = unhex(at(vectors.roots, v.size2));
    expect(verifyConsistency(v.size1, v.size2, rootM, rootN, v.proof.map(unhex))).toBe(true);
    expect(verifyConsistency(v.size1, v.size2, rootN, rootN, v.proof.map(unhex))).toBe(false);
  });

  it('verifies every inclusion and consistency proof it generates over the vector leaves', () => {
    for (let size = 1; size <= 8; size++) {
      const root = unhex(at(vectors.roots, size));
      for (let index = 0; index < size; index++) {
        const leaf = hashLeaf(unhex(at(vectors.leafInputs, index)));
        expect(verifyInclusion(leaf, index, size, tree.inclusionProof(index, size), root)).toBe(true);
      }
      for (let m = 0; m <= size; m++) {
        const rootM = unhex(at(vectors.roots, m));
        expect(verifyConsistency(m, size, rootM, root, tree.consistencyProof(m, size))).toBe(true);
      }
    }
  });
});

describe('MerkleTree edge cases', () => {
  it('treats the empty tree and trivial proofs per RFC 9162', () => {
    const tree = new MerkleTree();
    expect(tree.size).toBe(0);
    expect(tree.root()).toEqual(EMPTY_ROOT);
    const [a, b] = leaves(2);
    if (a === undefined || b === undefined) throw new Error('leaves');
    tree.append(a);
    expect(tree.root()).toEqual(a);
    expect(tree.inclusionProof(0, 1)).toEqual([]);
    expect(verifyInclusion(a, 0, 1, [], a)).toBe(true);
    expect(tree.consistencyProof(1, 1)).toEqual([]);
    expect(tree.consistencyProof(0, 1)).toEqual([]);
    expect(verifyConsistency(1, 1, a, a, [])).toBe(true);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, a, [])).toBe(true);
    expect(verifyConsistency(0, 1, a, a, [])).toBe(false);
    expect(verifyConsistency(1, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 2, a, hashChildren(a, b), [])).toBe(false);
  });

  it('refuses out-of-range requests and malformed input', () => {
    const tree = treeOf(leaves(5));
    expect(() => tree.root(6)).toThrow(RangeError);
    expect(() => tree.inclusionProof(5, 5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 6)).toThrow(RangeError);
    expect(() => tree.inclusionProof(-1, 5)).toThrow(RangeError);
    expect(() => tree.consistencyProof(4, 3)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 6)).toThrow(RangeError);
    expect(() => tree.append(Buffer.alloc(31))).toThrow(RangeError);
    const proof = tree.inclusionProof(1, 5);
    const leaf = at(leaves(5), 1);
    expect(verifyInclusion(leaf, 1, 5, proof, tree.root())).toBe(true);
    expect(verifyInclusion(leaf, 1, 5, [...proof, at(proof, 0)], tree.root())).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, proof.slice(1), tree.root())).toBe(false);
    expect(verifyInclusion(leaf, 1, 5, [Buffer.alloc(16), ...proof.slice(1)], tree.root())).toBe(false);
    expect(verifyInclusion(leaf, 1.5, 5, proof, tree.root())).toBe(false);
  });

  it('hands out copies, so callers cannot corrupt the cache', () => {
    const tree = treeOf(leaves(8));
    const before = tree.root();
    const proof = tree.inclusionProof(0, 8);
    for (const p of proof) p.fill(0);
    tree.root(4).fill(0);
    expect(tree.root()).toEqual(before);
  });

  it('stays fast on a large tree (cached complete subtrees, no rehash of leaves)', () => {
    const tree = new MerkleTree();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const leaf = Buffer.alloc(32);
      leaf.writeUInt32BE(i);
      tree.append(leaf);
    }
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      const size = n - i * 37;
      const index = (i * 7919) % size;
      const leaf = Buffer.alloc(32);
      leaf.writeUInt32BE(index);
      expect(verifyInclusion(leaf, index, size, tree.inclusionProof(index, size), tree.root(size))).toBe(true);
    }
    // 1000 proofs over 10^5 leaves: a per-call rehash would take tens of seconds.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('MerkleTree properties', () => {
  const sizedTree = fc.integer({ min: 1, max: 300 }).chain((count) =>
    fc.record({
      count: fc.constant(count),
      salt: fc.nat(),
      size: fc.integer({ min: 1, max: count }),
    }),
  );

  it('root equals the naive recursive reference for the whole tree and for earlier sizes', () => {
    fc.assert(
      fc.property(sizedTree, fc.array(fc.nat(), { maxLength: 4 }), ({ count, salt }, picks) => {
        const hashes = leaves(count, salt);
        const tree = treeOf(hashes);
        expect(tree.root()).toEqual(naiveRoot(hashes));
        expect(rootOf(hashes)).toEqual(naiveRoot(hashes));
        for (const pick of picks) {
          const size = pick % (count + 1);
          expect(tree.root(size)).toEqual(naiveRoot(hashes.slice(0, size)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('every inclusion proof verifies, and fails for a changed proof node, index or leaf', () => {
    fc.assert(
      fc.property(
        sizedTree.chain((t) =>
          fc.record({
            t: fc.constant(t),
            index: fc.integer({ min: 0, max: t.size - 1 }),
            other: fc.integer({ min: 0, max: t.size - 1 }),
            node: fc.nat(),
          }),
        ),
        ({ t: { count, salt, size }, index, other, node }) => {
          const hashes = leaves(count, salt);
          const tree = treeOf(hashes);
          const root = tree.root(size);
          const leaf = at(hashes, index);
          const proof = tree.inclusionProof(index, size);
          expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
          if (proof.length > 0) {
            const bad = proof.slice();
            const i = node % bad.length;
            bad[i] = flipped(at(bad, i));
            expect(verifyInclusion(leaf, index, size, bad, root)).toBe(false);
          }
          if (other !== index) expect(verifyInclusion(leaf, other, size, proof, root)).toBe(false);
          expect(verifyInclusion(flipped(leaf), index, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof, flipped(root))).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('every consistency proof verifies, and fails for a wrong old root', () => {
    fc.assert(
      fc.property(
        sizedTree.chain((t) => fc.record({ t: fc.constant(t), m: fc.integer({ min: 0, max: t.size }) })),
        ({ t: { count, salt, size: n }, m }) => {
          const tree = treeOf(leaves(count, salt));
          const rootM = tree.root(m);
          const rootN = tree.root(n);
          const proof = tree.consistencyProof(m, n);
          expect(verifyConsistency(m, n, rootM, rootN, proof)).toBe(true);
          expect(verifyConsistency(m, n, flipped(rootM), rootN, proof)).toBe(false);
          // The empty tree is a prefix of every tree, so only a non-empty old tree pins the new root.
          if (m > 0) expect(verifyConsistency(m, n, rootM, flipped(rootN), proof)).toBe(false);
          if (m > 0 && m < n) {
            expect(verifyConsistency(m, n, tree.root(m - 1), rootN, proof)).toBe(false);
            const bad = proof.slice();
            bad[0] = flipped(at(bad, 0));
            expect(verifyConsistency(m, n, rootM, rootN, bad)).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('proofs for historical sizes stay valid as the tree grows', () => {
    fc.assert(
      fc.property(sizedTree, fc.integer({ min: 1, max: 100 }), ({ count, salt, size }, more) => {
        const hashes = leaves(count + more, salt);
        const small = treeOf(hashes.slice(0, count));
        const big = treeOf(hashes);
        const index = size - 1;
        expect(big.inclusionProof(index, size)).toEqual(small.inclusionProof(index, size));
        expect(big.consistencyProof(size, count)).toEqual(small.consistencyProof(size, count));
        expect(verifyConsistency(count, count + more, small.root(), big.root(), big.consistencyProof(count, count + more))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
