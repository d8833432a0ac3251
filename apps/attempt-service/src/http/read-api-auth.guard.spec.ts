import { ForbiddenException, ServiceUnavailableException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { createLogger } from '../../../../libs/platform/src/logging/logger';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { ReadApiAuthGuard } from './read-api-auth.guard';
import type { ReadApiAuthOutcome, ReadApiTokenVerifier } from './read-api-token.verifier';

describe('ReadApiAuthGuard', () => {
  const metrics = new AttemptServiceMetrics();
  const logger = createLogger('test', 'silent');

  function run(outcome: ReadApiAuthOutcome | 'off', authorization?: string) {
    const headers: Record<string, string> = {};
    const verify = jest.fn(async () => outcome as ReadApiAuthOutcome);
    const guard = new ReadApiAuthGuard(outcome === 'off' ? 'off' : ({ verify } as unknown as ReadApiTokenVerifier), metrics, logger);
    const context = {
      switchToHttp: () => ({
        getRequest: () => ({ headers: { authorization } }),
        getResponse: () => ({ setHeader: (n: string, v: string) => (headers[n] = v) }),
      }),
    } as unknown as ExecutionContext;
    return { result: guard.canActivate(context), headers, verify };
  }

  it('lets a verified request through and passes the Authorization header to the verifier', async () => {
    const { result, verify } = run({ ok: true, subject: 'lms' }, 'Bearer x');
    await expect(result).resolves.toBe(true);
    expect(verify).toHaveBeenCalledWith('Bearer x');
  });

  it('lets everything through with READ_API_AUTH=off', async () => {
    await expect(run('off').result).resolves.toBe(true);
  });

  it('401 with a bare Bearer challenge without a token, invalid_token for a bad one', async () => {
    const missing = run({ ok: false, status: 401, reason: 'missing' });
    await expect(missing.result).rejects.toBeInstanceOf(UnauthorizedException);
    expect(missing.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="proctoring-attempts"' });
    const bad = run({ ok: false, status: 401, reason: 'expired' }, 'Bearer x');
    await expect(bad.result).rejects.toThrow(new UnauthorizedException());
    expect(bad.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="proctoring-attempts", error="invalid_token"' });
  });

  it('403 insufficient_scope naming the scope; 503 while the key set is unavailable', async () => {
    const scope = run({ ok: false, status: 403, reason: 'insufficient_scope' }, 'Bearer x');
    await expect(scope.result).rejects.toBeInstanceOf(ForbiddenException);
    expect(scope.headers['WWW-Authenticate']).toBe('Bearer realm="proctoring-attempts", error="insufficient_scope", scope="proctoring:attempts:read"');
    const down = run({ ok: false, status: 503, reason: 'unavailable' }, 'Bearer x');
    await expect(down.result).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(down.headers).toEqual({ 'Retry-After': '60' });
  });

  it('counts outcomes by reason', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/proctoring_read_api_auth_total\{result="ok",service="attempt-service"\} 1/);
    expect(text).toMatch(/proctoring_read_api_auth_total\{result="expired",service="attempt-service"\} 1/);
  });
});
