export { ClavisApiError, ClavisClient, type ClientOptions } from './client.ts';
export type * from './types.ts';
