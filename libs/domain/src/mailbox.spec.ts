import { checkRecipient, isSingleMailbox } from './mailbox';

/** Real addresses: dot-atoms with + and ', Unicode letters and marks, IDN and punycode, localhost. */
const SINGLE_MAILBOXES = [
  'a@b',
  'learner@example.com',
  'first.last+exam@sub.example.co.uk',
  "o'brien@example.ie",
  'a_b-c@x-y.example',
  '12345@123.example',
  'user@localhost',
  'josé.garcía@correo.es',
  'ада@пример.рф',
  '用户@例子.广告',
  'पुष्पा@उदाहरण.भारत',
  'xn--bcher-kva@xn--bcher-kva.example',
  '😀@example.com',
  `${'a'.repeat(240)}@example.com`,
];

/** What must never reach `To:`: lists, groups, display names, quotes, comments, literals, invisibles. */
const NOT_SINGLE_MAILBOXES = [
  'x,victim@evil.example',
  'undisclosed:victim@evil.example;',
  'Evil<attacker@evil.example>',
  'Evil <attacker@evil.example>',
  '"victim@evil.example"@example.com',
  'a(comment)@example.com',
  'a@[127.0.0.1]',
  'a\\b@example.com',
  'a;b@example.com',
  'a b@example.com',
  'a\tb@example.com',
  'learner@example.com\r\nBcc: victim@evil.example',
  'a\u00A0b@example.com',
  'a\u200B@example.com',
  'a\u202E@example.com',
  'victim\uFF20evil.example@example.com',
  'victim\uFE6Bevil.example@example.com',
  'a\uFF0Cvictim@evil.example',
  '=?utf-8?q?victim=40evil.example?=@example.com',
  'a@b@example.com',
  '@example.com',
  'learner@',
  'learner',
  '.a@example.com',
  'a.@example.com',
  'a..b@example.com',
  'a@.example.com',
  'a@example.com.',
  'a@example..com',
  'a@-example.com',
  'a@example-.com',
  'a@exa_mple.com',
  '',
  `${'a'.repeat(243)}@example.com`,
];

describe('isSingleMailbox (SPEC §8.5)', () => {
  it.each(SINGLE_MAILBOXES)('accepts %p', (address) => {
    expect(isSingleMailbox(address)).toBe(true);
  });

  it.each(NOT_SINGLE_MAILBOXES)('refuses %p', (address) => {
    expect(isSingleMailbox(address)).toBe(false);
  });

  it('refuses compatibility characters that normalise (NFKC) into structure', () => {
    // U+207D SUPERSCRIPT LEFT PARENTHESIS → "(", U+2488 DIGIT ONE FULL STOP → "1."
    expect(isSingleMailbox('a\u207Dx@example.com')).toBe(false);
    expect(isSingleMailbox('a\u2488@example.com')).toBe(false);
  });
});

describe('checkRecipient', () => {
  it('passes a single mailbox through', () => {
    expect(checkRecipient('learner@example.com')).toEqual({ ok: true, value: 'learner@example.com' });
  });

  it('refuses anything else with a reason that never contains the address', () => {
    for (const address of NOT_SINGLE_MAILBOXES) {
      const result = checkRecipient(address);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.error.code).toBe('NOT_A_SINGLE_MAILBOX');
      expect(result.error.reason).not.toMatch(/@/);
      if (address) expect(result.error.reason).not.toContain(address);
    }
  });
});
