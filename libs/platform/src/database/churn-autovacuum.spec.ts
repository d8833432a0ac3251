import { autovacuumWarning, resetChurnAutovacuum, setChurnAutovacuum, type SettingReader } from './churn-autovacuum';

const server = (settings: Record<string, string> | Error): SettingReader => ({
  query: <R>() => (settings instanceof Error ? Promise.reject(settings) : Promise.resolve({ rows: [settings as R] })),
});

describe('churn autovacuum settings', () => {
  it('sets fixed thresholds and no scale factors, and resets the same keys', () => {
    const set = setChurnAutovacuum('attempts.outbox_message');
    expect(set).toMatch(/^ALTER TABLE attempts\.outbox_message SET \(/);
    expect(set).toContain('autovacuum_vacuum_scale_factor = 0');
    expect(set).toContain('autovacuum_vacuum_threshold = 20000');
    const keys = [...set.matchAll(/(\w+) = /g)].map((m) => m[1]);
    expect(resetChurnAutovacuum('attempts.outbox_message')).toBe(`ALTER TABLE attempts.outbox_message RESET (${keys.join(', ')})`);
  });

  it('warns when the server does not vacuum, and only then', async () => {
    await expect(autovacuumWarning(server({ autovacuum: 'on', track_counts: 'on' }))).resolves.toBeNull();
    await expect(autovacuumWarning(server({ autovacuum: 'off', track_counts: 'on' }))).resolves.toMatch(/autovacuum=off: nothing vacuums/);
    await expect(autovacuumWarning(server({ autovacuum: 'on', track_counts: 'off' }))).resolves.toMatch(/track_counts=off/);
    await expect(autovacuumWarning(server(new Error('connection refused')))).resolves.toBeNull();
  });
});
