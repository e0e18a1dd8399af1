import { ADMIN_TOKEN_TYPE, parseCredential } from '../core/keys/key-format.ts';

/** Rule ids of the Clavis detector. */
export const CLAVIS_KEY_RULE = 'clavis-api-key';
export const CLAVIS_TOKEN_RULE = 'clavis-admin-token';
export const CLAVIS_MALFORMED_RULE = 'clavis-malformed-key';

/**
 * Anything shaped like a Clavis credential: the published KEY_REGEX_SOURCE plus the `adm` type
 * of admin tokens. Look-arounds instead of `\b` so that `MY_clv_live_…` is found too (`_` is a
 * word character, so `\b` would not sit before `clv`).
 */
export const CLAVIS_CANDIDATE = /(?<![0-9A-Za-z])[a-z]{2,8}_(?:live|test|dev|adm)_[0-9A-Za-z]{49}(?![0-9A-Za-z])/g;

/** Substrings of which one occurs in every candidate: files without any skip the regex. */
export const CLAVIS_KEYWORDS = ['_live_', '_test_', '_dev_', '_adm_'] as const;

export type ClavisMatchKind = typeof CLAVIS_KEY_RULE | typeof CLAVIS_TOKEN_RULE | typeof CLAVIS_MALFORMED_RULE;

/**
 * What a candidate is: a key or admin token whose checksum holds, or a malformed look-alike
 * (a typo, an edited example, random noise of the right shape).
 *
 * @example classifyCandidate(generateCredential('clv', 'live')) // 'clavis-api-key'
 */
export function classifyCandidate(text: string): ClavisMatchKind {
  const parsed = parseCredential(text);
  if (parsed === null) return CLAVIS_MALFORMED_RULE;
  return parsed.type === ADMIN_TOKEN_TYPE ? CLAVIS_TOKEN_RULE : CLAVIS_KEY_RULE;
}
