import type { ClaimedDelivery } from '../persistence/delivery-ledger.repository';
import { RetryPolicy } from './retry.policy';

const claim = (attempts: number, throttled = 0): ClaimedDelivery => ({
  eventId: 'e-1',
  attemptId: 'a-1',
  userId: 'u-1',
  from: 'no-reply@example.com',
  to: 'learner@example.com',
  subject: 's',
  html: 'h',
  text: 't',
  attempts,
  throttled,
  requeues: 2,
});

describe('RetryPolicy', () => {
  const policy = new RetryPolicy({ maxAttempts: 3, maxThrottled: 2, baseDelayMs: 1000, maxDelayMs: 10_000, random: () => 1 });

  it('records a sent email with the provider id', () => {
    const d = policy.decide(claim(1), { kind: 'sent', providerMessageId: 'm-1' });
    expect(d.kind).toBe('sent');
    expect(d.completion).toEqual({ eventId: 'e-1', attempts: 1, requeues: 2, status: 'sent', providerMessageId: 'm-1', statusCode: null });
  });

  it('fails a permanent refusal at once', () => {
    const d = policy.decide(claim(1), { kind: 'permanent', reason: 'SendGrid answered 400', statusCode: 400 });
    expect(d.kind).toBe('failed_permanent');
    expect(d.completion).toMatchObject({ status: 'failed', lastError: 'SendGrid answered 400', statusCode: 400 });
  });

  it('honours the wait SendGrid asks for on 429, plus at most a small spread', () => {
    const d = policy.decide(claim(1), { kind: 'retry', reason: '429', retryAfterMs: 60_000, statusCode: 429 });
    expect(d.kind).toBe('retry_rate_limited');
    expect(d.completion).toMatchObject({ status: 'pending', throttled: true });
    const delay = d.completion.status === 'pending' ? d.completion.delayMs : -1;
    expect(delay).toBeGreaterThanOrEqual(60_000);
    expect(delay).toBeLessThanOrEqual(60_250);
  });

  it('does not count 429s against maxAttempts, but bounds them by maxThrottled', () => {
    // attempts 3, two of them throttled before: one real failure so far
    expect(policy.decide(claim(3, 1), { kind: 'retry', reason: '429', retryAfterMs: 10, statusCode: 429 }).kind).toBe(
      'failed_exhausted',
    );
    expect(policy.decide(claim(3, 0), { kind: 'retry', reason: '429', retryAfterMs: 10, statusCode: 429 }).kind).toBe(
      'retry_rate_limited',
    );
    expect(policy.decide(claim(3, 2), { kind: 'retry', reason: '500', retryAfterMs: null, statusCode: 500 }).kind).toBe(
      'retry_transient',
    );
  });

  it('backs off exponentially with jitter and a cap for 5xx and timeouts', () => {
    const jittered = new RetryPolicy({ maxAttempts: 100, maxThrottled: 1, baseDelayMs: 1000, maxDelayMs: 10_000, random: () => 0 });
    const delays = [1, 2, 3, 4, 5, 6].map((n) => {
      const c = jittered.decide(claim(n), { kind: 'retry', reason: 'timeout', retryAfterMs: null, statusCode: null }).completion;
      return c.status === 'pending' ? c.delayMs : -1;
    });
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    const top = policy.backoff(10);
    expect(top).toBe(10_000);
  });

  it('gives up after maxAttempts transient failures', () => {
    const d = policy.decide(claim(3), { kind: 'retry', reason: 'SendGrid answered 503', retryAfterMs: null, statusCode: 503 });
    expect(d.kind).toBe('failed_exhausted');
    expect(d.completion).toMatchObject({ status: 'failed', lastError: 'gave up after 3 attempts: SendGrid answered 503' });
  });

  it('holds an email back when the driver is unavailable, however many attempts it had: never failed, the claim handed back', () => {
    for (const attempts of [1, 3, 50]) {
      const d = policy.decide(claim(attempts), { kind: 'unavailable', reason: 'writing the .eml file failed: ENOSPC' });
      expect(d).toMatchObject({ kind: 'deferred_unavailable', release: { eventId: 'e-1', attempts, requeues: 2 } });
    }
  });

  it('pauses sending with backoff while the driver stays unavailable, at most 30 s', () => {
    const unavailable = { kind: 'unavailable', reason: 'ENOSPC' } as const;
    const pause = (n: number) => {
      const d = policy.decide(claim(1), unavailable, n);
      return d.kind === 'deferred_unavailable' ? d.pauseMs : null;
    };
    expect(pause(1)).toBe(1000);
    expect(pause(3)).toBe(4000);
    expect(pause(20)).toBe(10_000); // the policy's maxDelayMs
    const slow = new RetryPolicy({ maxAttempts: 3, maxThrottled: 2, baseDelayMs: 1000, maxDelayMs: 300_000, random: () => 1 });
    expect(slow.decide(claim(1), unavailable, 20)).toMatchObject({ pauseMs: 30_000 });
  });
});
