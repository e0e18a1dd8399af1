export { ClavisApiError, ClavisClient, type ClientOptions } from './client.ts';
export type * from './types.ts';
export { SIGNATURE_HEADERS, canonicalQuery, canonicalRequest, sha256Hex, signRequest, type CanonicalRequestParts, type RequestSigner, type SigningScheme } from './signing.ts';
