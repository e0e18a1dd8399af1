/** Risk tiers: high-risk scopes move funds or administer keys and carry stricter policy. */
export type RiskTier = 'standard' | 'high';

export interface ScopeDefinition {
  description: string;
  risk: RiskTier;
}

/**
 * Every scope a key can hold, as `resource:action`. A scope outside this table is refused at
 * creation, so a typo can never grant or silently lose access.
 */
export const SCOPES = {
  'prices:read': { description: 'Read market prices and price history', risk: 'standard' },
  'signals:read': { description: 'Read the regime signal', risk: 'standard' },
  'index:read': { description: 'Read the index level, holdings, history and transactions', risk: 'standard' },
  'portfolio:read': { description: 'Read paper portfolios', risk: 'standard' },
  'portfolio:trade': { description: 'Place trades in paper portfolios', risk: 'high' },
  'portfolio:withdraw': { description: 'Withdraw from portfolios', risk: 'high' },
  'keys:read': { description: 'Read API key metadata', risk: 'standard' },
  'keys:write': { description: 'Create, change and revoke API keys', risk: 'high' },
  'admin:all': { description: 'Administer the workspace', risk: 'high' },
} as const satisfies Record<string, ScopeDefinition>;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(s: string): s is Scope {
  return Object.hasOwn(SCOPES, s);
}

/** Whether any of the scopes is high-risk. */
export function hasHighRiskScope(scopes: readonly string[]): boolean {
  return scopes.some((s) => isScope(s) && SCOPES[s].risk === 'high');
}
