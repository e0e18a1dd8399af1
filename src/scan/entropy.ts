/**
 * Shannon entropy of `text` in bits per character, over its UTF-16 code units. A random base62
 * string approaches log2(62) ≈ 5.95; English words sit near 3; `aaaaaaaa` is 0.
 *
 * @example shannonEntropy('aabb') // 1
 */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
