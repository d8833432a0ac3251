import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSender } from './file.sender';

/**
 * A full disk, simulated below the driver: while `mockDisk.full`, every write into a file (whichever
 * node:fs/promises call makes it) stores a few bytes and then fails with ENOSPC, as a filled file
 * system does after the file was created. Scenario 11 of the fault suite does it with a real tmpfs.
 */
const mockDisk = { full: false };

jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  return {
    ...actual,
    writeFile: async (...args: Parameters<typeof actual.writeFile>) => {
      if (!mockDisk.full) return actual.writeFile(...args);
      await actual.writeFile(args[0], 'From: partial');
      throw enospc();
    },
    open: async (...args: Parameters<typeof actual.open>) => {
      const file = await actual.open(...args);
      if (!mockDisk.full) return file;
      const failing = async () => {
        await file.write('From: partial');
        throw enospc();
      };
      return new Proxy(file, {
        get: (target, prop) => {
          if (prop === 'writeFile' || prop === 'write' || prop === 'appendFile') return failing;
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
});

describe('FileSender on a full disk', () => {
  let dir: string;
  const email = {
    eventId: 'c0a80101-0000-4000-8000-000000000011',
    from: 'no-reply@example.com',
    to: 'learner@learners.example.com',
    subject: 'Proctoring Session Results Update for Demo Final',
    html: '<p>satisfactory</p>',
    text: 'satisfactory',
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notifier-full-'));
    mockDisk.full = false;
  });
  afterEach(async () => {
    mockDisk.full = false;
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the driver unavailable (not a retry that uses up the email), names no path or address, leaves no file behind', async () => {
    const sender = new FileSender({ outboxDir: dir });
    mockDisk.full = true;
    const outcome = await sender.send(email);
    expect(outcome).toEqual({ kind: 'unavailable', reason: 'writing the .eml file failed: ENOSPC' });
    expect(JSON.stringify(outcome)).not.toContain(dir);
    expect(await readdir(dir)).toEqual([]); // neither the .eml nor the temporary file
  });

  it('writes the whole email once the disk is freed, and only then says sent', async () => {
    const sender = new FileSender({ outboxDir: dir });
    mockDisk.full = true;
    await sender.send(email);
    await sender.send(email);
    mockDisk.full = false;
    await expect(sender.send(email)).resolves.toEqual({ kind: 'sent', providerMessageId: null });
    expect(await readdir(dir)).toEqual([`${email.eventId}.eml`]);
    expect(await readFile(join(dir, `${email.eventId}.eml`), 'utf8')).toMatch(/--=_alt_\w+--/); // the whole message, to its closing boundary
  });
});
