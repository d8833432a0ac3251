import { readFileSync } from 'node:fs';
import { parseProvidersConfig, type ProvidersConfig } from '../../../domain/src';
import type { EnvReader } from './env-reader';

/** The providers file (SPEC §6), validated; problems are reported under PROVIDERS_FILE, never its content. */
export function readProvidersFile(r: EnvReader, path: string): ProvidersConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    r.problem('PROVIDERS_FILE names a file that cannot be read as JSON');
    return { defaults: {}, providers: {} };
  }
  const parsed = parseProvidersConfig(json);
  if (!parsed.ok) {
    for (const p of parsed.error) r.problem(`PROVIDERS_FILE: ${p}`);
    return { defaults: {}, providers: {} };
  }
  return parsed.value;
}
