import { DataSource, type DataSourceOptions } from 'typeorm';
import { pgPoolTimeouts, type DatabaseTimeouts } from '../../../../libs/platform/src/config/database.config';
import { InitialSchema1764100000000 } from './migrations/1764100000000-initial-schema.migration';
import { HotAttemptUpdates1764300000000 } from './migrations/1764300000000-hot-attempt-updates.migration';
import { OutboxParking1764500000000 } from './migrations/1764500000000-outbox-parking.migration';
import { LearnerRetirement1764700000000 } from './migrations/1764700000000-learner-retirement.migration';
import { CommandChannels1764800000000 } from './migrations/1764800000000-command-channels.migration';
import { Allowances1764600000000 } from './migrations/1764600000000-allowances.migration';
import { Reviews1764800000001 } from './migrations/1764800000001-reviews.migration';
import { VacuumThresholds1765100000000 } from './migrations/1765100000000-vacuum-thresholds.migration';
import { OutboxPending1765200000000 } from './migrations/1765200000000-outbox-pending.migration';

export const ATTEMPTS_SCHEMA = 'attempts';

/** `application_name` of the service's connections (its DataSource's and its pool's). */
export const ATTEMPT_SERVICE_APPLICATION_NAME = 'attempt-service';

/** One DataSource definition shared by the service and the migration CLI; the schema comes from migrations only. */
export function attemptDataSourceOptions(
  databaseUrl: string,
  extra: { ssl?: false | { rejectUnauthorized: boolean; ca?: string }; poolSize?: number; timeouts?: DatabaseTimeouts } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    ssl: extra.ssl ?? false,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'attempt_service_migrations',
    migrations: [
      InitialSchema1764100000000,
      HotAttemptUpdates1764300000000,
      OutboxParking1764500000000,
      Allowances1764600000000,
      LearnerRetirement1764700000000,
      CommandChannels1764800000000,
      Reviews1764800000001,
      VacuumThresholds1765100000000,
      OutboxPending1765200000000,
    ],
    entities: [],
    extra: { max: extra.poolSize ?? 10, application_name: ATTEMPT_SERVICE_APPLICATION_NAME, ...(extra.timeouts ? pgPoolTimeouts(extra.timeouts) : {}) },
  };
}

/** For the TypeORM CLI: `npx typeorm -d dist/apps/attempt-service/src/persistence/data-source.js migration:run`. */
export default new DataSource(
  attemptDataSourceOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/proctoring'),
);
