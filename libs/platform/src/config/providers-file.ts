import { readFileSync } from 'node:fs';
import { parseProvidersConfig, type ProvidersConfig } from '../../../domain/src';
import { PROVIDER_NAME_PATTERN } from '../kafka/kafka-acl.plan';
import type { EnvReader } from './env-reader';

/**
 * The providers file (SPEC §6), validated; problems are reported under PROVIDERS_FILE, never its content.
 * Provider names also name Kafka topics and principals (SPEC §8.4: `proctoring.attempt.reviews.<name>.v1`,
 * `provider-<name>`), so they must match PROVIDER_NAME_PATTERN.
 */
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
  for (const name of Object.keys(parsed.value.providers))
    if (!PROVIDER_NAME_PATTERN.test(name)) r.problem(`PROVIDERS_FILE: provider name ${JSON.stringify(name)} must match ${PROVIDER_NAME_PATTERN.source}`);
  return parsed.value;
}
