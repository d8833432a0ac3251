import { hasProvider, parseProvidersConfig, policyFor, reviewPolicyFor, type ProvidersConfig } from './policy';

function parsed(json: unknown): ProvidersConfig {
  const r = parseProvidersConfig(json);
  if (!r.ok) throw new Error(r.error.join('\n'));
  return r.value;
}

function errors(json: unknown): string[] {
  const r = parseProvidersConfig(json);
  if (r.ok) throw new Error('expected the config to be refused');
  return r.error;
}

describe('parseProvidersConfig', () => {
  it('accepts a file with every key at both levels', () => {
    const json = {
      defaults: {
        ALLOW_TIMED_OUT_STATE: false,
        CASCADE_STATUSES: ['rejected', 'declined'],
        SITE_NAME: 'lms.example.com',
        PLATFORM_NAME: 'Example edX',
        CONTACT_EMAIL: 'support@example.com',
        FROM_EMAIL: 'Example <no-reply@example.com>',
        HTTPS: true,
        COURSE_INFO_PATH: '/courses/{courseId}/info',
      },
      providers: {
        proctortrack: {
          ALLOW_TIMED_OUT_STATE: true,
          CASCADE_STATUSES: ['declined'],
          SITE_NAME: 'localhost:8000',
          HTTPS: false,
        },
        software_secure: {},
      },
    };
    expect(parsed(json)).toEqual(json);
  });

  it('treats a missing defaults or providers block as empty', () => {
    expect(parsed({})).toEqual({ defaults: {}, providers: {} });
    expect(parsed({ providers: { p: {} } })).toEqual({ defaults: {}, providers: { p: {} } });
  });

  it('names the key path of a value that is not a status', () => {
    expect(errors({ providers: { proctortrack: { CASCADE_STATUSES: ['declined', 'foo'] } } })).toEqual([
      "providers.proctortrack.CASCADE_STATUSES[1]: 'foo' is not a status",
    ]);
  });

  it('suggests the right spelling of a status or key', () => {
    expect(errors({ defaults: { CASCADE_STATUSES: ['Declined'] } })).toEqual([
      "defaults.CASCADE_STATUSES[0]: 'Declined' is not a status (did you mean 'declined'?)",
    ]);
    expect(errors({ defaults: { ALLOW_TIMED_OUT_STAT: true } })).toEqual([
      "defaults.ALLOW_TIMED_OUT_STAT: unknown key (did you mean 'ALLOW_TIMED_OUT_STATE'?)",
    ]);
    expect(errors({ defaults: { allow_timed_out_state: true } })).toEqual([
      "defaults.allow_timed_out_state: unknown key (did you mean 'ALLOW_TIMED_OUT_STATE'?)",
    ]);
  });

  it('refuses unknown keys at every level', () => {
    expect(errors({ defaults: {}, providers: {}, provider: {} })).toEqual([
      "provider: unknown key (expected 'defaults' and 'providers')",
    ]);
    expect(errors({ providers: { p: { STATUS_EMAIL_FROM_ADDRESS: 'x@example.com' } } })).toEqual([
      'providers.p.STATUS_EMAIL_FROM_ADDRESS: unknown key',
    ]);
  });

  it('reports every problem at once, with the type found', () => {
    expect(
      errors({
        defaults: { ALLOW_TIMED_OUT_STATE: 'yes', HTTPS: null, CASCADE_STATUSES: 'declined', SITE_NAME: 3 },
        providers: { a: [], b: { CASCADE_STATUSES: [1, 'declined', 'nope'] } },
      }),
    ).toEqual([
      'defaults.ALLOW_TIMED_OUT_STATE: must be a boolean, got string',
      'defaults.HTTPS: must be a boolean, got null',
      'defaults.CASCADE_STATUSES: must be an array of statuses, got string',
      'defaults.SITE_NAME: must be a string, got number',
      'providers.a: must be an object of settings, got array',
      'providers.b.CASCADE_STATUSES[0]: must be a status string, got number',
      "providers.b.CASCADE_STATUSES[2]: 'nope' is not a status",
    ]);
  });

  it('refuses a root or providers block of the wrong shape', () => {
    expect(errors(null)).toEqual(["(root): must be an object with 'defaults' and 'providers', got null"]);
    expect(errors([])).toHaveLength(1);
    expect(errors('x')).toHaveLength(1);
    expect(errors({ providers: [] })).toEqual(['providers: must be an object of provider blocks, got array']);
    expect(errors({ defaults: 'x' })).toEqual(['defaults: must be an object of settings, got string']);
  });

  it('quotes odd provider names unambiguously', () => {
    expect(errors({ providers: { 'my.provider': { HTTPS: 'on' } } })).toEqual([
      'providers["my.provider"].HTTPS: must be a boolean, got string',
    ]);
    expect(errors({ providers: { '': {} } })[0]).toMatch(
      /^providers\[""\]: a provider name must be 1-255 characters/,
    );
  });

  it('never echoes an email value', () => {
    const secret = 'alice.private@example.org';
    const found = errors({
      defaults: { FROM_EMAIL: `${secret} extra`, CONTACT_EMAIL: `<${secret}` },
      providers: { p: { CASCADE_STATUSES: [secret], CONTACT_EMAIL: 42 } },
    });
    expect(found).toEqual([
      'defaults.FROM_EMAIL: must be an email address',
      'defaults.CONTACT_EMAIL: must be an email address',
      "providers.p.CASCADE_STATUSES[0]: '<redacted>' is not a status",
      'providers.p.CONTACT_EMAIL: must be a string, got number',
    ]);
    expect(found.join('\n')).not.toContain('alice');
  });

  it('validates the shape of the email, site and path settings', () => {
    expect(
      errors({
        defaults: {
          SITE_NAME: 'https://lms.example.com',
          COURSE_INFO_PATH: 'courses/{courseId}',
          PLATFORM_NAME: ' ',
        },
        providers: {
          p: { SITE_NAME: 'lms.example.com/x', COURSE_INFO_PATH: '/a b', FROM_EMAIL: 'no-at-sign' },
        },
      }),
    ).toEqual([
      'defaults.SITE_NAME: must be a host name, optionally with :port (no scheme or path)',
      "defaults.COURSE_INFO_PATH: must be a path starting with '/' (or empty), without spaces",
      'defaults.PLATFORM_NAME: must be a non-empty name',
      'providers.p.SITE_NAME: must be a host name, optionally with :port (no scheme or path)',
      "providers.p.COURSE_INFO_PATH: must be a path starting with '/' (or empty), without spaces",
      'providers.p.FROM_EMAIL: must be an email address',
    ]);
  });

  it('keeps a provider named like an Object.prototype member as an ordinary provider', () => {
    const config = parsed(JSON.parse('{"providers":{"__proto__":{"HTTPS":false},"constructor":{}}}'));
    expect(Object.keys(config.providers)).toEqual(['__proto__', 'constructor']);
    expect(hasProvider(config, '__proto__')).toBe(true);
    expect(policyFor(config, '__proto__').email.https).toBe(false);
  });
});

describe('hasProvider', () => {
  const config = parsed({ defaults: {}, providers: { proctortrack: {} } });
  it('is true for a configured provider and for no provider at all', () => {
    expect([
      hasProvider(config, 'proctortrack'),
      hasProvider(config, null),
      hasProvider(config, undefined),
    ]).toEqual([true, true, true]);
  });
  it('is false for anything else, including Object.prototype names', () => {
    for (const name of ['Proctortrack', 'other', '', 'constructor', '__proto__', 'toString']) {
      expect([name, hasProvider(config, name)]).toEqual([name, false]);
    }
  });
});

describe('policyFor', () => {
  it('uses the rule defaults when nothing is set', () => {
    expect(policyFor(parsed({}), null)).toEqual({
      allowTimedOutState: undefined,
      cascadeStatuses: ['rejected', 'declined'],
      email: {
        siteName: 'localhost',
        platformName: 'Open edX',
        contactEmail: 'no-reply@example.com',
        fromEmail: 'no-reply@example.com',
        https: true,
        courseInfoPath: '/courses/{courseId}/info',
      },
    });
  });

  it('takes each key from the provider, else the defaults, else the rule default', () => {
    const config = parsed({
      defaults: {
        ALLOW_TIMED_OUT_STATE: false,
        SITE_NAME: 'lms.example.com',
        CONTACT_EMAIL: 'help@example.com',
        HTTPS: false,
      },
      providers: {
        p: {
          ALLOW_TIMED_OUT_STATE: true,
          CASCADE_STATUSES: ['declined'],
          FROM_EMAIL: 'p@example.com',
          HTTPS: true,
        },
      },
    });
    expect(policyFor(config, 'p')).toEqual({
      allowTimedOutState: true,
      cascadeStatuses: ['declined'],
      email: {
        siteName: 'lms.example.com',
        platformName: 'Open edX',
        contactEmail: 'help@example.com',
        fromEmail: 'p@example.com',
        https: true,
        courseInfoPath: '/courses/{courseId}/info',
      },
    });
    expect(policyFor(config, null)).toMatchObject({
      allowTimedOutState: false,
      cascadeStatuses: ['rejected', 'declined'],
    });
  });

  it('a provider false overrides a default true (no truthiness fall-through)', () => {
    const config = parsed({
      defaults: { ALLOW_TIMED_OUT_STATE: true, HTTPS: true },
      providers: { p: { ALLOW_TIMED_OUT_STATE: false, HTTPS: false } },
    });
    expect(policyFor(config, 'p')).toMatchObject({ allowTimedOutState: false, email: { https: false } });
  });

  it('an empty CASCADE_STATUSES switches the cascade off', () => {
    expect(policyFor(parsed({ providers: { p: { CASCADE_STATUSES: [] } } }), 'p').cascadeStatuses).toEqual(
      [],
    );
  });

  it('CONTACT_EMAIL falls back to the resolved FROM_EMAIL (its bare address)', () => {
    const config = parsed({
      defaults: { FROM_EMAIL: 'Example <no-reply@example.com>' },
      providers: { p: { FROM_EMAIL: 'p@example.com' } },
    });
    expect(policyFor(config, null).email).toMatchObject({
      fromEmail: 'Example <no-reply@example.com>',
      contactEmail: 'no-reply@example.com',
    });
    expect(policyFor(config, 'p').email).toMatchObject({
      fromEmail: 'p@example.com',
      contactEmail: 'p@example.com',
    });
  });

  it('an unknown provider resolves like the defaults', () => {
    const config = parsed({
      defaults: { ALLOW_TIMED_OUT_STATE: true },
      providers: { p: { ALLOW_TIMED_OUT_STATE: false } },
    });
    expect(policyFor(config, 'unknown')).toEqual(policyFor(config, null));
    expect(policyFor(config, 'constructor')).toEqual(policyFor(config, undefined));
  });

  it('returns a fresh cascade list the caller cannot use to change the config', () => {
    const config = parsed({ defaults: { CASCADE_STATUSES: ['declined'] } });
    const policy = policyFor(config, null);
    expect(Object.isFrozen(policy.cascadeStatuses)).toBe(true);
    expect(policy.cascadeStatuses).not.toBe(config.defaults.CASCADE_STATUSES);
  });
});

describe('review settings (SPEC §8.1)', () => {
  it('ALLOW_REVIEW_UPDATES and REQUIRE_FAILURE_SECOND_REVIEWS are booleans at both levels', () => {
    const parsed = parseProvidersConfig({
      defaults: { ALLOW_REVIEW_UPDATES: false },
      providers: { p: { REQUIRE_FAILURE_SECOND_REVIEWS: false, ALLOW_REVIEW_UPDATES: true } },
    });
    expect(parsed.ok).toBe(true);
    const bad = parseProvidersConfig({ defaults: { ALLOW_REVIEW_UPDATES: 'no' }, providers: { p: { REQUIRE_FAILURE_SECOND_REVIEWS: 1 } } });
    expect(bad.ok ? [] : bad.error).toEqual([
      'defaults.ALLOW_REVIEW_UPDATES: must be a boolean, got string',
      'providers.p.REQUIRE_FAILURE_SECOND_REVIEWS: must be a boolean, got number',
    ]);
  });

  it('resolve from the provider, else the defaults, else true', () => {
    const config = {
      defaults: { ALLOW_REVIEW_UPDATES: false },
      providers: { strict: { REQUIRE_FAILURE_SECOND_REVIEWS: false }, open: { ALLOW_REVIEW_UPDATES: true }, plain: {} },
    };
    expect(reviewPolicyFor(config, 'strict')).toEqual({ allowReviewUpdates: false, requireFailureSecondReviews: false });
    expect(reviewPolicyFor(config, 'open')).toEqual({ allowReviewUpdates: true, requireFailureSecondReviews: true });
    expect(reviewPolicyFor({ defaults: {}, providers: { plain: {} } }, 'plain')).toEqual({ allowReviewUpdates: true, requireFailureSecondReviews: true });
    expect(reviewPolicyFor(config, null)).toEqual({ allowReviewUpdates: false, requireFailureSecondReviews: true });
  });
});
