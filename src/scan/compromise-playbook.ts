/**
 * The hook a compromise playbook will plug into. Playbooks do not exist yet: when they land, the
 * playbook for "key compromised" is fired from here — by `clavis scan --revoke` for each key it
 * revoked, and by the leak-report endpoint for each reported key it acted on. Until then the
 * default hook does nothing, and docs/guides/secret-scanning.md says so.
 */
export interface CompromiseEvent {
  keyId: string;
  /** Known on the server side; the CLI knows only the key id. */
  workspaceId?: string;
  source: 'scan' | 'leak-report';
  /** Where the key was seen: `file:line` (and commit) for a scan, the reported URL for a leak report. */
  where: string;
  action: 'revoked' | 'suspended' | 'notified';
}

export interface CompromisePlaybook {
  keyCompromised(event: CompromiseEvent): Promise<void>;
}

/** The hook in force until playbooks exist: no playbook, nothing fired. */
export const NO_COMPROMISE_PLAYBOOK: CompromisePlaybook = {
  keyCompromised: async () => {},
};
