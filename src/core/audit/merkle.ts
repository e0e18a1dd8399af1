import { createHash } from 'node:crypto';
import type { AuditEvent } from '../model.ts';
import { canonicalJson } from './canonical-json.ts';

/** Bytes in a SHA-256 hash, and so in every leaf, node and root of the tree. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/**
 * RFC 6962 leaf hash: SHA-256(0x00 || input). The prefix keeps a leaf from ever hashing like an
 * interior node (second-preimage resistance).
 *
 * @example hashLeaf(new Uint8Array()).toString('hex') // '6e340b9c…afa01d'
 */
export function hashLeaf(input: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(input).digest();
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Root of the empty tree: SHA-256 of the empty string. Copy it before handing it out to be mutated. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/**
 * The leaf hash of an audit event: the RFC 6962 leaf hash of the UTF-8 bytes of its canonical
 * JSON, so that any change to any field changes the hash.
 *
 * @example leafHashOfEvent(event).toString('hex') // stored as StoredAuditEvent.leafHash
 */
export function leafHashOfEvent(event: AuditEvent): Buffer {
  return hashLeaf(Buffer.from(canonicalJson(event), 'utf8'));
}

/** Largest power of two strictly below n (n ≥ 2): the split point k of RFC 9162 section 2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function isHash(h: Uint8Array): boolean {
  return h.length === HASH_SIZE;
}

/** Append-only packed column of 32-byte hashes; one contiguous buffer beats an array of small Buffers. */
class HashColumn {
  private buf = Buffer.alloc(HASH_SIZE * 16);
  length = 0;

  push(hash: Uint8Array): void {
    const end = (this.length + 1) * HASH_SIZE;
    if (end > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger);
      this.buf = bigger;
    }
    this.buf.set(hash, this.length * HASH_SIZE);
    this.length++;
  }

  /** A view, valid because stored hashes are never overwritten; copy before it leaves the module. */
  at(index: number): Buffer {
    return this.buf.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/**
 * An in-memory RFC 9162 Merkle tree over leaf hashes.
 *
 * Level k caches the hash of every complete, 2^k-aligned subtree of 2^k leaves. Appending adds at
 * most one hash per level (amortised O(1), worst case O(log n)). Every subtree RFC 9162 asks for,
 * at any historical size, decomposes into O(log n) cached complete subtrees, so a root costs
 * O(log n) hashes and a proof O(log² n) at worst, with no rehash of the leaves.
 *
 * @example
 * const tree = new MerkleTree();
 * for (const e of events) tree.append(leafHashOfEvent(e));
 * const proof = tree.inclusionProof(3, tree.size);
 * verifyInclusion(leafHashOfEvent(events[3]), 3, tree.size, proof, tree.root()); // true
 */
export class MerkleTree {
  readonly #levels: HashColumn[] = [new HashColumn()];

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#level(0).length;
  }

  /** Appends one leaf hash (as from {@link hashLeaf}); throws unless it is 32 bytes. */
  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) throw new RangeError(`merkle: leaf hash must be ${HASH_SIZE} bytes`);
    let level = 0;
    let column = this.#level(0);
    column.push(leafHash);
    // An even count at a level means its last two entries just became a complete pair.
    while (column.length % 2 === 0) {
      const parent = hashChildren(column.at(column.length - 2), column.at(column.length - 1));
      level++;
      if (this.#levels.length === level) this.#levels.push(new HashColumn());
      column = this.#level(level);
      column.push(parent);
    }
  }

  /** Root hash of the tree of the first `size` leaves (default: all of them). */
  root(size: number = this.size): Buffer {
    this.#checkSize(size);
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return Buffer.from(this.#hash(0, size));
  }

  /**
   * Audit path for leaf `index` in the tree of the first `size` leaves, leaf to root, as in
   * RFC 9162 section 2.1.3.1. Throws unless 0 ≤ index < size ≤ this.size.
   */
  inclusionProof(index: number, size: number): Buffer[] {
    this.#checkSize(size);
    if (!isSize(index) || index >= size) throw new RangeError(`merkle: leaf index ${index} outside tree of size ${size}`);
    const topDown: Buffer[] = [];
    let start = 0;
    let n = size;
    let m = index;
    while (n > 1) {
      const k = splitPoint(n);
      if (m < k) {
        topDown.push(this.#hash(start + k, n - k));
        n = k;
      } else {
        topDown.push(this.#hash(start, k));
        start += k;
        m -= k;
        n -= k;
      }
    }
    return topDown.reverse().map((h) => Buffer.from(h));
  }

  /**
   * Consistency proof between the trees of the first `m` and first `n` leaves, as in RFC 9162
   * section 2.1.4.1; empty when m is 0 or m equals n. Throws unless 0 ≤ m ≤ n ≤ this.size.
   */
  consistencyProof(m: number, n: number): Buffer[] {
    this.#checkSize(n);
    if (!isSize(m) || m > n) throw new RangeError(`merkle: old size ${m} outside 0..${n}`);
    if (m === 0 || m === n) return [];
    const topDown: Buffer[] = [];
    let start = 0;
    let size = n;
    let old = m;
    // Whether the old tree is a complete subtree of the part of the new tree still under scrutiny;
    // RFC 9162 calls it b. While true the verifier already holds that subtree's hash (the old root).
    let isOldRoot = true;
    while (old !== size) {
      const k = splitPoint(size);
      if (old <= k) {
        topDown.push(this.#hash(start + k, size - k));
        size = k;
      } else {
        topDown.push(this.#hash(start, k));
        start += k;
        old -= k;
        size -= k;
        isOldRoot = false;
      }
    }
    if (!isOldRoot) topDown.push(this.#hash(start, size));
    return topDown.reverse().map((h) => Buffer.from(h));
  }

  #level(level: number): HashColumn {
    const column = this.#levels[level];
    if (column === undefined) throw new Error(`merkle: missing level ${level}`);
    return column;
  }

  #checkSize(size: number): void {
    if (!isSize(size) || size > this.size) {
      throw new RangeError(`merkle: tree size ${size} outside 0..${this.size}`);
    }
  }

  /** MTH of leaves [start, start + n), n ≥ 1; may return a view into the cache. */
  #hash(start: number, n: number): Buffer {
    if (isPowerOfTwo(n) && start % n === 0) return this.#level(Math.round(Math.log2(n))).at(start / n);
    const k = splitPoint(n);
    return hashChildren(this.#hash(start, k), this.#hash(start + k, n - k));
  }
}

/**
 * Merkle root of a list of leaf hashes.
 *
 * @example rootOf([hashLeaf(Buffer.from('a')), hashLeaf(Buffer.from('b'))])
 */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  const tree = new MerkleTree();
  for (const h of leafHashes) tree.append(h);
  return tree.root();
}

/**
 * Checks an inclusion proof with the algorithm of RFC 9162 section 2.1.3.2: that `leafHash` is
 * leaf `index` of the tree of `size` leaves whose root is `root`. Never throws; false on any
 * malformed input.
 *
 * @example verifyInclusion(leafHash, 5, 8, tree.inclusionProof(5, 8), tree.root(8)) // true
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  // Plain arithmetic instead of >>: bitwise operators truncate to 32 bits.
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/**
 * Checks a consistency proof with the algorithm of RFC 9162 section 2.1.4.2: that the tree of
 * `m` leaves with root `rootM` is a prefix of the tree of `n` leaves with root `rootN`. For
 * m = n the proof must be empty and the roots equal; for m = 0 it must be empty and `rootM` the
 * empty root. Never throws; false on any malformed input.
 *
 * @example verifyConsistency(6, 8, tree.root(6), tree.root(8), tree.consistencyProof(6, 8)) // true
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(m) || !isSize(n) || m > n) return false;
  if (!isHash(rootM) || !isHash(rootN) || !proof.every(isHash)) return false;
  const oldRoot = Buffer.from(rootM);
  if (m === n) return proof.length === 0 && oldRoot.equals(rootN);
  if (m === 0) return proof.length === 0 && oldRoot.equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  // When the old tree is a complete subtree its root is left out of the proof; put it back.
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && oldRoot.equals(fr) && Buffer.from(sr).equals(rootN);
}
