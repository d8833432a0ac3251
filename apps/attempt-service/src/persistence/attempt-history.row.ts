import { attemptRecord, ATTEMPT_RECORDSET, type AttemptRow, type StoredAttempt } from './attempt.row';

export type ArchiveReason = 'removed' | 'replaced';

/** An attempt being archived (removed, or replaced by a new one), as the batch writes it. */
export interface AttemptArchive {
  attempt: StoredAttempt;
  archivedAt: Date;
  reason: ArchiveReason;
  /** the command (or sweep) id that archived it. */
  archivedBy: string;
}

/** A row of `attempts.attempt_history`: the attempt's columns as they were, and why it went. */
export interface AttemptHistoryRow extends Omit<AttemptRow, 'id' | 'expires_at' | 'sweep_at' | 'updated_at'> {
  attempt_id: string;
  archived_at: Date;
  archive_reason: string;
  archived_by: string;
}

/** The column list of an archive record (see archiveRecord). */
export const ARCHIVE_RECORDSET = `${ATTEMPT_RECORDSET}, archived_at timestamptz, archive_reason text,
        archived_by text`;

export function archiveRecord(h: AttemptArchive) {
  return { ...attemptRecord(h.attempt), archived_at: h.archivedAt.toISOString(), archive_reason: h.reason, archived_by: h.archivedBy };
}
