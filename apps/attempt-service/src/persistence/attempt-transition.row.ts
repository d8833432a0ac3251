/** One stored change of an attempt (its creation included), as the batch writes it. */
export interface AttemptTransition {
  attemptId: string;
  version: number;
  fromStatus: string | null;
  toStatus: string;
  requestedStatus: string;
  causeType: string;
  causeId: string;
  cascadeFromAttemptId: string | null;
  /** free text from the command (UpdateAttemptStatus.reason), when given */
  reason: string | null;
  occurredAt: Date;
}

/** A row of `attempts.attempt_transition`. */
export interface AttemptTransitionRow {
  id: string;
  attempt_id: string;
  version: number;
  from_status: string | null;
  to_status: string;
  requested_status: string;
  cause_type: string;
  cause_id: string;
  cascade_from_attempt_id: string | null;
  reason: string | null;
  occurred_at: Date;
}

/** The column list of a transition record (see transitionRecord). */
export const TRANSITION_RECORDSET = `attempt_id uuid,
          version integer, from_status text, to_status text, requested_status text, cause_type text, cause_id text,
          cascade_from_attempt_id uuid, reason text, occurred_at timestamptz`;

export function transitionRecord(t: AttemptTransition) {
  return {
    attempt_id: t.attemptId,
    version: t.version,
    from_status: t.fromStatus,
    to_status: t.toStatus,
    requested_status: t.requestedStatus,
    cause_type: t.causeType,
    cause_id: t.causeId,
    cascade_from_attempt_id: t.cascadeFromAttemptId,
    reason: t.reason,
    occurred_at: t.occurredAt.toISOString(),
  };
}
