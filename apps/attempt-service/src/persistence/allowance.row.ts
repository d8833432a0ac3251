import { isAllowanceKey, type AllowanceKey } from '../../../../libs/domain/src';

/** One stored allowance of a learner at an exam (SPEC §8.2). */
export interface StoredAllowance {
  examId: string;
  userId: string;
  key: AllowanceKey;
  value: string;
  /** an `additional_time_granted` row a `time_multiplier` produced. */
  fromMultiplier: boolean;
}

/** A row of `attempts.allowance` (timestamps aside), as `json_agg` renders it. */
export interface AllowanceRow {
  exam_id: string;
  user_id: string;
  key: string;
  value: string;
  from_multiplier: boolean;
}

export const ALLOWANCE_COLUMNS = `exam_id, user_id, key, value, from_multiplier`;

/** null for a key the service does not know (never written by it). */
export function allowanceFromRow(r: AllowanceRow): StoredAllowance | null {
  if (!isAllowanceKey(r.key)) return null;
  return { examId: r.exam_id, userId: r.user_id, key: r.key, value: r.value, fromMultiplier: r.from_multiplier };
}

/** One grant or removal, as `attempts.allowance_history` keeps it. */
export interface AllowanceChange {
  examId: string;
  userId: string;
  key: AllowanceKey;
  action: 'granted' | 'removed';
  /** the value granted, or the value the removed row had. */
  value: string;
  fromMultiplier: boolean;
  causeType: string;
  causeId: string;
  occurredAt: Date;
}

export const ALLOWANCE_CHANGE_RECORDSET = `exam_id text, user_id text, key text, action text, value text, from_multiplier boolean,
  cause_type text, cause_id text, occurred_at timestamptz`;

export function allowanceChangeRecord(c: AllowanceChange) {
  return {
    exam_id: c.examId,
    user_id: c.userId,
    key: c.key,
    action: c.action,
    value: c.value,
    from_multiplier: c.fromMultiplier,
    cause_type: c.causeType,
    cause_id: c.causeId,
    occurred_at: c.occurredAt.toISOString(),
  };
}
