import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvReader } from './env-reader';
import { readProvidersFile } from './providers-file';

describe('readProvidersFile: provider names (SPEC §8.4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'providers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function read(providers: Record<string, unknown>): string[] {
    const file = join(dir, `${Object.keys(providers).join('_') || 'none'}.json`);
    writeFileSync(file, JSON.stringify({ defaults: {}, providers }));
    const r = new EnvReader({});
    readProvidersFile(r, file);
    try {
      r.done('svc');
      return [];
    } catch (e) {
      return (e as Error).message.split('\n').slice(1);
    }
  }

  it('accepts names that can name a topic and a principal', () => {
    expect(read({ software_secure: {}, 'proctor-track': {}, p1: {} })).toEqual([]);
  });

  it.each(['Proctortrack', 'bad.name', '_lead', 'a'.repeat(49), 'sp ace'])('refuses %j, naming the rule', (name) => {
    expect(read({ [name]: {} })).toEqual([`  - PROVIDERS_FILE: provider name ${JSON.stringify(name)} must match ^[a-z0-9][a-z0-9_-]{0,47}$`]);
  });
});
