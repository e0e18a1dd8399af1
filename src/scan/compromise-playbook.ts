/**
 * The hook that fires the `key-compromise` playbook (docs/guides/webhooks-and-playbooks.md): by
 * `clavis scan --revoke` for each key it revoked (through the API, {@link remoteCompromisePlaybook}),
 * and by the leak-report endpoint for each reported key it acted on (the server's PlaybookEngine).
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

/**
 * Runs the server's `key-compromise` playbook on the key through the API (the CLI scanner's hook).
 * A server without that playbook (PLAYBOOK_NOT_FOUND) is not an error: the key is revoked anyway.
 *
 * @example await verifyFindings(findings, client, { revoke: true, playbook: remoteCompromisePlaybook(client) })
 */
export function remoteCompromisePlaybook(api: { runPlaybook(name: string, input: { keyId: string }): Promise<unknown> }, onMissing: (err: unknown) => void = () => undefined): CompromisePlaybook {
  return {
    keyCompromised: async (event) => {
      try {
        await api.runPlaybook('key-compromise', { keyId: event.keyId });
      } catch (err) {
        if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'PLAYBOOK_NOT_FOUND') return onMissing(err);
        throw err;
      }
    },
  };
}

/** A hook that fires nothing (scans without a server, tests). */
export const NO_COMPROMISE_PLAYBOOK: CompromisePlaybook = {
  keyCompromised: async () => {},
};
