/** Creates the database if missing and runs both services' migrations (each app owns its schema). */
import { DataSource } from 'typeorm';
import { attemptDataSourceOptions } from '../apps/attempt-service/src/persistence/data-source';
import { migrateNotifierSchema, notifierDataSourceOptions } from '../apps/notifier/src/persistence/data-source';
import { ensureDatabase } from '../libs/platform/src/database/ensure-database';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/proctoring';
  await ensureDatabase(url);
  const attempts = new DataSource(attemptDataSourceOptions(url));
  await attempts.initialize();
  const ran = await attempts.runMigrations({ transaction: 'each' });
  await attempts.destroy();
  process.stderr.write(`[migrate] attempt-service: ${ran.length} migration(s) applied\n`);
  const notifier = new DataSource(notifierDataSourceOptions(url));
  await notifier.initialize();
  await migrateNotifierSchema(notifier);
  await notifier.destroy();
  process.stderr.write('[migrate] notifier: up to date\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`[migrate] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
