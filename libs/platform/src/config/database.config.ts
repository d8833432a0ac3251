import { readFileSync } from 'node:fs';
import type { EnvReader } from './env-reader';

export interface DatabaseSettings {
  url: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string };
  poolSize: number;
}

export function readDatabaseSettings(env: EnvReader): DatabaseSettings {
  const url = env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/proctoring', ['postgres:', 'postgresql:']);
  const mode = env.oneOf('DATABASE_SSL', ['off', 'require', 'verify'], 'off');
  const caFile = env.optionalString('DATABASE_SSL_CA_FILE');
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch {
      env.problem('DATABASE_SSL_CA_FILE names a file that cannot be read');
    }
  }
  const ssl = mode === 'off' ? false : { rejectUnauthorized: mode === 'verify', ca };
  return { url, ssl, poolSize: env.int('DATABASE_POOL_SIZE', 10, 1, 200) };
}
