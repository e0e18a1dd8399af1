import type { VerifyCode } from '../core/keys/verify.ts';

/** Where an address was located: a point and how far off it may be. */
export interface GeoPoint {
  lat: number;
  lon: number;
  /** Accuracy radius in km (country-level locations are ~1000 km). */
  radiusKm: number;
}

/**
 * One verification as the monitor sees it, after locating its address. Detectors read only this,
 * so recorded traffic (test/fixtures/traffic/*.jsonl) replays exactly.
 */
export interface UsageEvent {
  /** Epoch ms, stamped by the recorder's clock when the verification answered. */
  at: number;
  /** The workspace the verification ran for; null when a consumer edge accepted any workspace and the key was unknown. */
  workspaceId: string | null;
  /** The key, when the presented credential matched one (from REVOKED on, see VERIFY_CODES); null for MALFORMED and NOT_FOUND. */
  keyId: string | null;
  ownerId: string | null;
  keyCreatedAt: number | null;
  /** Which entry point verified: `verify-api`, `gateway`, `data-api`… */
  route: string;
  code: VerifyCode;
  /**
   * The scope a VALID verification exercised; null when it failed or named none. Absent in
   * traffic recorded before scopes were counted (detectors do not read it).
   */
  scope?: string | null;
  /** The address located: the verify API's `ip` field, or the client address. */
  ip: string;
  /** ISO 3166-1 alpha-2, or null when not located. */
  country: string | null;
  /** The address's /24 (IPv4) or /48 (IPv6): geoip-lite carries no ASN. */
  network: string | null;
  location: GeoPoint | null;
}

/** What a verify entry point hands to `record`; no I/O and no lookup happens there. */
export interface UsageInput {
  route: string;
  code: VerifyCode;
  /**
   * The scope the entry point asked the pipeline for (the verify API's `scope`, the data API or
   * gateway route's scope); counted for VALID outcomes only, so over-privileged keys show.
   */
  scope?: string | undefined;
  ip: string;
  workspaceId: string | null;
  /** The key the pipeline found, if any (only its id, owner, workspace and creation time are kept). */
  key?: { id: string; workspaceId: string; ownerId: string | null; createdAt: number } | undefined;
}

/** Something that counts verifications: the verify route and `verifyConsumer` call it. */
export interface UsageSink {
  record(input: UsageInput): void;
}

/** Codes that mean the credential itself was refused (guessing, stuffing, a stolen or dead key). */
export const FAILURE_CODES: ReadonlySet<VerifyCode> = new Set<VerifyCode>(['MALFORMED', 'NOT_FOUND', 'REVOKED', 'SUSPENDED', 'EXPIRED', 'ENV_MISMATCH', 'IP_NOT_ALLOWED', 'SIGNATURE_REQUIRED']);

/** Codes of a signed request that did not verify or was replayed. */
export const SIGNATURE_CODES: ReadonlySet<VerifyCode> = new Set<VerifyCode>(['SIGNATURE_INVALID', 'REPLAYED']);

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
