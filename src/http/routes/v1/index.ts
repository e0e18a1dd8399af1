import type { RouteModule } from '../../app-types.ts';
import { dataApiRoutes } from './data/index.ts';
import { alertsAcknowledge } from './alerts-acknowledge.ts';
import { alertsGet } from './alerts-get.ts';
import { alertsList } from './alerts-list.ts';
import { alertsResolve } from './alerts-resolve.ts';
import { playbooksList, playbooksRun } from './playbooks.ts';
import { reportsEvidence } from './reports-evidence.ts';
import { reportsHygiene } from './reports-hygiene.ts';
import { schedulerRun } from './scheduler-run.ts';
import { webhooksCreate } from './webhooks-create.ts';
import { webhooksDelete } from './webhooks-delete.ts';
import { webhooksDeliveries } from './webhooks-deliveries.ts';
import { webhooksList } from './webhooks-list.ts';
import { keysUsage } from './keys-usage.ts';
import { ownersOffboard, ownersOffboarded, ownersReinstate } from './owners-offboarding.ts';
import { auditCheckpointCreate } from './audit-checkpoint-create.ts';
import { auditCheckpoints } from './audit-checkpoints.ts';
import { auditConsistency } from './audit-consistency.ts';
import { auditEvents } from './audit-events.ts';
import { auditProof } from './audit-proof.ts';
import { keysCreate } from './keys-create.ts';
import { keysGet } from './keys-get.ts';
import { keysList } from './keys-list.ts';
import { keysLookup } from './keys-lookup.ts';
import { keysResume } from './keys-resume.ts';
import { keysRevoke } from './keys-revoke.ts';
import { keysRotate } from './keys-rotate.ts';
import { keysSuspend } from './keys-suspend.ts';
import { keysUpdate } from './keys-update.ts';
import { keysVerify } from './keys-verify.ts';
import { leaksReport } from './leaks-report.ts';
import { keyringRetire } from './keyring-retire.ts';
import { keyringRewrap } from './keyring-rewrap.ts';
import { keyringRotate } from './keyring-rotate.ts';
import { keyringStatus } from './keyring-status.ts';
import { keyringUnseal } from './keyring-unseal.ts';
import { secretsDelete } from './secrets-delete.ts';
import { secretsGet } from './secrets-get.ts';
import { secretsLifecycle } from './secrets-lifecycle.ts';
import { secretsList } from './secrets-list.ts';
import { secretsPut } from './secrets-put.ts';
import { tokensCreate } from './tokens-create.ts';
import { tokensList } from './tokens-list.ts';
import { tokensRevoke } from './tokens-revoke.ts';
import { workspaceCurrent } from './workspace-current.ts';
import { workspaceUpdate } from './workspace-update.ts';
import { keysRevokeAll } from './keys-revoke-all.ts';
import { mfaTotpConfirm } from './mfa-totp-confirm.ts';
import { mfaTotpEnrol } from './mfa-totp-enrol.ts';
import { mfaTotpRemove } from './mfa-totp-remove.ts';
import { mfaTotpStatus } from './mfa-totp-status.ts';
import { usersCreate } from './users-create.ts';
import { usersDisable } from './users-disable.ts';
import { usersList } from './users-list.ts';
import { usersMfaReset } from './users-mfa-reset.ts';
import { usersUpdate } from './users-update.ts';
import { workspacesCreate } from './workspaces-create.ts';

/** Every v1 operation, one module each. */
export const V1_ROUTES: readonly RouteModule[] = [
  keysCreate,
  keysList,
  keysGet,
  keysUpdate,
  keysRotate,
  keysRevoke,
  keysRevokeAll,
  keysSuspend,
  keysResume,
  keysVerify,
  keysLookup,
  keysUsage,
  alertsList,
  alertsGet,
  alertsAcknowledge,
  alertsResolve,
  webhooksCreate,
  webhooksList,
  webhooksDelete,
  webhooksDeliveries,
  playbooksList,
  playbooksRun,
  reportsHygiene,
  schedulerRun,
  reportsEvidence,
  ownersOffboard,
  ownersReinstate,
  ownersOffboarded,
  tokensCreate,
  tokensList,
  tokensRevoke,
  workspacesCreate,
  workspaceCurrent,
  workspaceUpdate,
  usersCreate,
  usersList,
  usersUpdate,
  usersDisable,
  usersMfaReset,
  mfaTotpEnrol,
  mfaTotpConfirm,
  mfaTotpStatus,
  mfaTotpRemove,
  auditEvents,
  auditCheckpoints,
  auditCheckpointCreate,
  auditProof,
  auditConsistency,
  leaksReport,
  secretsList,
  secretsPut,
  secretsGet,
  secretsDelete,
  secretsLifecycle,
  keyringStatus,
  keyringRotate,
  keyringRewrap,
  keyringRetire,
  keyringUnseal,
  dataApiRoutes,
];
