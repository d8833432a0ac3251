import {
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { LOGGER } from '../runtime.tokens';
import { READ_API_SCOPE, type ReadApiTokenVerifier } from './read-api-token.verifier';

/** The verifier of the read API's Bearer tokens, or `off` (READ_API_AUTH=off: no authentication). */
export const READ_API_VERIFIER = Symbol('READ_API_VERIFIER');
export type ReadApiVerifierProvider = ReadApiTokenVerifier | 'off';

const REALM = 'Bearer realm="proctoring-attempts"';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
}
interface HttpResponse {
  setHeader(name: string, value: string): unknown;
}

/**
 * Guards the read API (SPEC §8.4): 401 with `WWW-Authenticate: Bearer` without a token or with a bad
 * one, 403 without the read scope, 503 while the key set cannot be fetched. The client is told
 * nothing about why a token was refused; the reason is counted and logged at debug level.
 */
@Injectable()
export class ReadApiAuthGuard implements CanActivate {
  constructor(
    @Inject(READ_API_VERIFIER) private readonly verifier: ReadApiVerifierProvider,
    @Inject(AttemptServiceMetrics) private readonly metrics: AttemptServiceMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.verifier === 'off') return true;
    const http = context.switchToHttp();
    const outcome = await this.verifier.verify(http.getRequest<HttpRequest>().headers.authorization);
    if (outcome.ok) {
      this.metrics.readApiAuth.inc({ result: 'ok' });
      return true;
    }
    this.metrics.readApiAuth.inc({ result: outcome.reason });
    this.logger.debug({ reason: outcome.reason, status: outcome.status }, 'read API request refused');
    const res = http.getResponse<HttpResponse>();
    switch (outcome.status) {
      case 401:
        res.setHeader('WWW-Authenticate', outcome.reason === 'missing' ? REALM : `${REALM}, error="invalid_token"`);
        throw new UnauthorizedException();
      case 403:
        res.setHeader('WWW-Authenticate', `${REALM}, error="insufficient_scope", scope="${READ_API_SCOPE}"`);
        throw new ForbiddenException();
      case 503:
        res.setHeader('Retry-After', '60');
        throw new ServiceUnavailableException();
    }
  }
}
