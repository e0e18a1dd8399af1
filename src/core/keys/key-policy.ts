import type { Environment } from './key-format.ts';

/** Per-deployment key policy, from config. */
export interface KeyPolicy {
  /** Deployment brand at the start of every key, `[a-z]{2,8}`. */
  prefix: string;
  /** Maximum lifetime per environment in ms; null means keys may live forever there. */
  maxTtlMs: Record<Environment, number | null>;
  /** Rotation grace when the request gives none. */
  defaultGraceMs: number;
  /** What a key with a high-risk scope (trade, withdraw, admin) must have; both by default. */
  highRisk?: { requireIpAllowlist: boolean; requireSigning: boolean };
}
