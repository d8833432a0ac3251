import type { LoggerService } from '@nestjs/common';
import type { Logger } from '../logging/logger';

/** Nest's own log lines (bootstrap, routes, errors) through the service's redacting pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.logger.info({ context: context(rest) }, text(message));
  }

  error(message: unknown, ...rest: unknown[]): void {
    if (message instanceof Error) this.logger.error({ err: message, context: context(rest) }, message.message);
    else this.logger.error({ context: context(rest) }, text(message));
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn({ context: context(rest) }, text(message));
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.debug({ context: context(rest) }, text(message));
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.trace({ context: context(rest) }, text(message));
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.logger.fatal({ context: context(rest) }, text(message));
  }
}

function text(message: unknown): string {
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/** Nest passes the context (a class name) as the last string argument. */
function context(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
