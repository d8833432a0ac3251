import { err, ok, type Result } from './result';

describe('Result', () => {
  it('ok and err build the two branches', () => {
    const good: Result<number, string> = ok(1);
    const bad: Result<number, string> = err('nope');
    expect(good).toEqual({ ok: true, value: 1 });
    expect(bad).toEqual({ ok: false, error: 'nope' });
  });
});
