import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env-reader';
import { scrubEmails } from '../logging/logger';

/** Exit codes of both command lines: 0 done, 1 failed or refused, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Where a command line writes (stdout and stderr, or a test's buffers). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Bad usage: the message is printed with the usage text, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type OptionValues = Record<string, string | boolean | undefined>;

/** Parses a subcommand's options strictly (no positionals); a bad option is a UsageError. */
export function options(args: string[], spec: OptionSpec): OptionValues {
  try {
    const { values } = parseArgs({ args, options: spec, strict: true, allowPositionals: false });
    return values;
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
}

export function required(v: OptionValues, name: string, o: { allowEmpty?: boolean } = {}): string {
  const value = v[name];
  if (typeof value !== 'string' || (value === '' && !o.allowEmpty)) throw new UsageError(`--${name} is required`);
  return value;
}

/** An error's message, with email addresses scrubbed (it is printed). */
export function errorMessage(e: unknown): string {
  return scrubEmails(e instanceof Error ? e.message : String(e));
}

/** A subcommand: its arguments, the output, and the context, opened on first use. */
export type Subcommand<C> = (args: string[], io: Io, open: () => C) => Promise<number>;

export interface CliProgram<C extends { close(): Promise<void> }> {
  /** the program's name in failure messages (`<name> <subcommand> failed: …`). */
  name: string;
  usage: string;
  commands: Record<string, Subcommand<C>>;
  /** Opens the context (configuration validated: a ConfigError exits 1 with its message). */
  open(env: NodeJS.ProcessEnv): C;
  /** Whether a subcommand opens the context before it starts (fail fast on configuration); default all. */
  opensFirst?(subcommand: string): boolean;
}

/**
 * Runs one invocation: usage and help, the subcommand, the exit code (0 done, 1 failed, 2 bad usage),
 * and the context closed whatever happened. Error messages are scrubbed of email addresses.
 */
export async function runCli<C extends { close(): Promise<void> }>(
  program: CliProgram<C>,
  argv: string[],
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(program.usage);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = program.commands[name];
  if (!command) {
    io.err(`Unknown command ${name}\n\n${program.usage}`);
    return EXIT_USAGE;
  }
  let ctx: C | null = null;
  const open = (): C => (ctx ??= program.open(env));
  try {
    // Fail fast on configuration before any output that suggests work was started.
    if (program.opensFirst?.(name) ?? true) open();
    return await command(args, io, open);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${program.usage}`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      io.err(e.message);
      return EXIT_FAILED;
    }
    io.err(`${program.name} ${name} failed: ${errorMessage(e)}`);
    return EXIT_FAILED;
  } finally {
    await (ctx as C | null)?.close();
  }
}

/** The process entry point: runs `main` on the process's arguments and exits with its code. */
export function runAsProcess(name: string, main: (argv: string[], io: Io) => Promise<number>): void {
  const io: Io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  main(process.argv.slice(2), io)
    .then((code) => process.exit(code))
    .catch((e: unknown) => {
      process.stderr.write(`${name} failed: ${errorMessage(e)}\n`);
      process.exit(EXIT_FAILED);
    });
}
