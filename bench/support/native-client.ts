import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The command that installs the bench-only native client (bench/native-client/setup.sh). */
export const NATIVE_SETUP_COMMAND = 'npm run bench:native-setup';

/** Where the bench-only package lives (its own package.json and lock; never installed by the root). */
export function nativeClientDir(root: string): string {
  return join(root, 'bench/native-client');
}

export type NativeClientStatus =
  | { installed: true; version: string; dir: string }
  | { installed: false; reason: string };

/**
 * Whether @confluentinc/kafka-javascript is installed and built in bench/native-client (its compiled
 * addon is there). Looked up by path only: the bench never loads the package itself, the helper
 * processes that use it do.
 */
export function nativeClientStatus(root: string): NativeClientStatus {
  const dir = nativeClientDir(root);
  const pkg = join(dir, 'node_modules/@confluentinc/kafka-javascript');
  const addon = join(pkg, 'build/Release/confluent-kafka-javascript.node');
  if (!existsSync(addon)) {
    return { installed: false, reason: `native client not installed (${NATIVE_SETUP_COMMAND})` };
  }
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  return { installed: true, version, dir };
}
