import { Type, type Static } from '@sinclair/typebox';
import type { MfaStatus } from '../../../core/mfa/mfa-service.ts';
import { NullableTimestamp, Timestamp } from '../../schemas/common.ts';

export const MfaStatusView = Type.Object({
  state: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('enrolled')], { description: 'pending: enrolled but not confirmed with a first code yet' }),
  confirmedAt: NullableTimestamp,
  recoveryCodesLeft: Type.Integer(),
  lockedUntil: Type.Union([Timestamp, Type.Null()], { description: 'Step-up refuses every code until then (too many wrong codes)' }),
});

export function mfaStatusView(s: MfaStatus): Static<typeof MfaStatusView> {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return { state: s.state, confirmedAt: iso(s.confirmedAt), recoveryCodesLeft: s.recoveryCodesLeft, lockedUntil: iso(s.lockedUntil) };
}
