import { redactReason, retryAfterMs } from './sendgrid.sender';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-11-25T12:00:00Z');

  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': '0.5' }, now)).toBe(500);
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after': 'Tue, 25 Nov 2025 12:00:07 GMT' }, now)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 25 Nov 2025 11:00:00 GMT' }, now)).toBe(0);
  });

  it('reads X-RateLimit-Reset as unix epoch seconds', () => {
    expect(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 12) }, now)).toBe(12_000);
  });

  it('prefers Retry-After and returns null when neither header is usable', () => {
    expect(retryAfterMs({ 'retry-after': '2', 'x-ratelimit-reset': String(now / 1000 + 60) }, now)).toBe(2000);
    expect(retryAfterMs({}, now)).toBeNull();
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
  });
});

describe('redactReason', () => {
  it('removes secrets and anything shaped like an email address', () => {
    const text = redactReason('key SG.secret-key rejected for learner@example.com and Jane <jane@x.org>', ['SG.secret-key']);
    expect(text).not.toContain('SG.secret-key');
    expect(text).not.toMatch(/@/);
  });
});
