import { CompiledCli, type CliRun } from '../support/compiled-cli';

const ENTRY = 'apps/notifier/src/cli/notifier.cli';

export type CliResult = CliRun;

/**
 * The notifier command line, compiled for the test run (see CompiledCli). With `NOTIFIER_CLI_DIST=1`
 * the suite runs `dist/` instead (after `npm run build`).
 */
const notifierCli = new CompiledCli(ENTRY, 'NOTIFIER_CLI_DIST', 60_000);

/** Deletes the compiled copy (call in afterAll). */
export function removeCompiledCli(): void {
  notifierCli.remove();
}

/** Runs `npm run notifier -- …` as a separate process with exactly `env` (plus PATH and HOME). */
export function runNotifierCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return notifierCli.run(args, env);
}
