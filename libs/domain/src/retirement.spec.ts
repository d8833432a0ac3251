import { isRetiredAddress, RETIRED_EMAIL, RETIRED_USERNAME, storedIdentity } from './retirement';

describe('retirement placeholders (SPEC §8.3)', () => {
  it('stores the fixed placeholders for a retired learner, the identity as given otherwise', () => {
    const user = { username: 'ada', email: 'ada@example.org' };
    expect(storedIdentity(user, true)).toEqual({ username: 'retired_user', email: 'retired@invalid' });
    expect(storedIdentity(user, false)).toBe(user);
  });

  it('uses an address in the reserved .invalid domain, recognised as never to be emailed', () => {
    expect(RETIRED_USERNAME).toBe('retired_user');
    expect(isRetiredAddress(RETIRED_EMAIL)).toBe(true);
    expect(isRetiredAddress('ada@example.org')).toBe(false);
  });
});
