import { DataSource, type DataSourceOptions } from 'typeorm';
import { pgPoolTimeouts, type DatabaseTimeouts } from '../../../../libs/platform/src/config/database.config';
import { EmailDeliveryRow, ledgerSchemaOf, NOTIFIER_SCHEMA, SCHEMA_NAME } from './email-delivery.row';
import { CreateEmailDelivery1764100000000 } from './migrations/1764100000000-create-email-delivery.migration';
import { AddCorrelationAndRequeues1764300000000 } from './migrations/1764300000000-add-correlation-and-requeues.migration';
import { LearnerRetirement1764700000000 } from './migrations/1764700000000-learner-retirement.migration';
import { TraceContext1765000000000 } from './migrations/1765000000000-trace-context.migration';
import { VacuumThresholds1765100000000 } from './migrations/1765100000000-vacuum-thresholds.migration';

export interface NotifierDatabaseExtras {
  ssl?: false | { rejectUnauthorized: boolean; ca?: string };
  poolSize?: number;
  /** Default `notifier`. Integration tests use throwaway schemas so suites never share rows. */
  schema?: string;
  timeouts?: DatabaseTimeouts;
}

/** `application_name` of the notifier's connections (its DataSource's and its pool's). */
export const NOTIFIER_APPLICATION_NAME = 'notifier';

/** Migrations in order, listed by class so they load the same compiled and under ts-jest. */
export const NOTIFIER_MIGRATIONS = [
  CreateEmailDelivery1764100000000,
  AddCorrelationAndRequeues1764300000000,
  LearnerRetirement1764700000000,
  TraceContext1765000000000,
  VacuumThresholds1765100000000,
];

/**
 * The one DataSource definition, shared by the app, the tests and the TypeORM CLI. The notifier owns
 * the `notifier` schema; `synchronize` is off: only migrations change it.
 */
export function notifierDataSourceOptions(databaseUrl: string, extras: NotifierDatabaseExtras = {}): DataSourceOptions {
  const schema = extras.schema ?? NOTIFIER_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new Error('the notifier schema name must be a lower-case SQL identifier');
  return {
    type: 'postgres',
    url: databaseUrl,
    schema,
    entities: [EmailDeliveryRow],
    migrations: NOTIFIER_MIGRATIONS,
    migrationsTableName: 'notifier_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    ssl: extras.ssl ?? false,
    applicationName: NOTIFIER_APPLICATION_NAME,
    extra: { max: extras.poolSize ?? 10, ...(extras.timeouts ? pgPoolTimeouts(extras.timeouts) : {}) },
  };
}

/** A fixed key for `pg_advisory_lock`, so concurrent starts migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_301_002;

/**
 * Brings the `notifier` schema up to date. The schema is created first (TypeORM keeps its migrations
 * table inside it) and an advisory lock serialises instances and test suites starting together.
 */
export async function migrateNotifierSchema(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${ledgerSchemaOf(dataSource)}`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * For the TypeORM CLI (`typeorm migration:run -d apps/notifier/src/persistence/data-source.ts`). On an
 * empty database run `CREATE SCHEMA IF NOT EXISTS notifier` first, or let the service migrate at start.
 */
export default new DataSource(
  notifierDataSourceOptions(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/proctoring'),
);
