import { DataSource, type DataSourceOptions } from 'typeorm';
import { pgPoolTimeouts, type DatabaseTimeouts } from '../../../../libs/platform/src/config/database.config';
import { SNAPSHOT_SCHEMA_NAME } from '../config/openedx-bridge.config';
import { AttemptSnapshot1764900000000 } from './migrations/1764900000000-attempt-snapshot.migration';

export const OPENEDX_BRIDGE_MIGRATIONS = [AttemptSnapshot1764900000000];

/** The bridge owns its schema (default `openedx_bridge`); only migrations change it. */
export function openEdxBridgeDataSourceOptions(
  databaseUrl: string,
  extras: {
    schema: string;
    ssl?: false | { rejectUnauthorized: boolean; ca?: string };
    poolSize?: number;
    timeouts?: DatabaseTimeouts;
  },
): DataSourceOptions {
  if (!SNAPSHOT_SCHEMA_NAME.test(extras.schema))
    throw new Error('the bridge schema name must be a lower-case SQL identifier');
  return {
    type: 'postgres',
    url: databaseUrl,
    schema: extras.schema,
    migrations: OPENEDX_BRIDGE_MIGRATIONS,
    migrationsTableName: 'openedx_bridge_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    ssl: extras.ssl ?? false,
    applicationName: 'openedx-bridge',
    extra: { max: extras.poolSize ?? 4, ...(extras.timeouts ? pgPoolTimeouts(extras.timeouts) : {}) },
  };
}

// Distinct from the other services' advisory lock keys (7_301_001…7_301_003).
const MIGRATION_LOCK_KEY = 7_301_016;

/**
 * Creates the schema and runs the migrations, one instance at a time (advisory lock), on a DataSource
 * of its own that is closed afterwards: TypeORM only migrates; the bridge's SQL runs on its pg pool.
 */
export async function migrateOpenEdxBridgeSchema(options: DataSourceOptions, schema: string): Promise<void> {
  const dataSource = await new DataSource(options).initialize();
  try {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        await runner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  } finally {
    await dataSource.destroy();
  }
}
