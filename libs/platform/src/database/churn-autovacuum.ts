/**
 * Per-table autovacuum settings for a table that churns with every command (issue #15's soak): fixed
 * numbers of changed rows instead of PostgreSQL's defaults, which are fractions of the table (vacuum
 * at 20 % dead, analyze at 10 % changed). On a table keeping days of rows at 1,000 commands/s those
 * fractions are millions of rows: vacuums come hours apart, partial indexes fill with dead entries
 * that every read of them walks, and the planner's statistics go stale. ~20 s of traffic between
 * vacuums keeps both bounded whatever the table's size. They take effect only where the server runs
 * autovacuum (the default; docs/operations.md says to keep it on).
 */
export const CHURN_AUTOVACUUM: Readonly<Record<string, number>> = {
  autovacuum_vacuum_scale_factor: 0,
  autovacuum_vacuum_threshold: 20_000,
  autovacuum_vacuum_insert_scale_factor: 0,
  autovacuum_vacuum_insert_threshold: 50_000,
  autovacuum_analyze_scale_factor: 0,
  autovacuum_analyze_threshold: 20_000,
};

/** `ALTER TABLE … SET (…)` giving `table` the churn settings (a qualified, already quoted name). */
export function setChurnAutovacuum(table: string): string {
  return `ALTER TABLE ${table} SET (${Object.entries(CHURN_AUTOVACUUM)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ')})`;
}

/** `ALTER TABLE … RESET (…)`: back to the server's defaults. */
export function resetChurnAutovacuum(table: string): string {
  return `ALTER TABLE ${table} RESET (${Object.keys(CHURN_AUTOVACUUM).join(', ')})`;
}

/** What `autovacuumWarning` needs of a pool. */
export interface SettingReader {
  query<R extends Record<string, unknown>>(sql: string): Promise<{ rows: R[] }>;
}

/**
 * A warning for the operator when the server runs with autovacuum off (then the settings above do
 * nothing and the churning tables bloat and lose their statistics: reliability.md, the soak's first
 * attempt), or null. A failed check is null too: the service's own readiness reports the database.
 */
export async function autovacuumWarning(pool: SettingReader): Promise<string | null> {
  try {
    const { rows } = await pool.query<{ autovacuum: string; track_counts: string }>(
      `SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts`,
    );
    const off = ['autovacuum', 'track_counts'].filter((k) => rows[0]?.[k as 'autovacuum' | 'track_counts'] === 'off');
    if (off.length === 0) return null;
    return `the PostgreSQL server runs with ${off.map((k) => `${k}=off`).join(' and ')}: nothing vacuums or analyzes the outbox, inbox and email ledger, which then bloat and slow every read (turn it on; docs/operations.md)`;
  } catch {
    return null;
  }
}
