import { isSingleMailbox } from '../../domain/src/mailbox';
import { parseEvent } from './event-parser';
import { EMAIL_PATTERN } from './field.schemas';
import { EVENT_EXAMPLES } from './message.examples';

/** As ajv compiles it (its `unicodeRegExp` default). */
const EMAIL = new RegExp(EMAIL_PATTERN, 'u');

const MAILBOXES = [
  'a@b',
  'learner@example.com',
  'first.last+exam@sub.example.co.uk',
  "o'brien@example.ie",
  'a_b-c@x-y.example',
  'user@localhost',
  'josé.garcía@correo.es',
  'ада@пример.рф',
  '用户@例子.广告',
  'पुष्पा@उदाहरण.भारत',
  'xn--bcher-kva@xn--bcher-kva.example',
  '😀@example.com',
];

const NOT_MAILBOXES = [
  'x,victim@evil.example',
  'undisclosed:victim@evil.example;',
  'Evil<attacker@evil.example>',
  '"victim@evil.example"@example.com',
  'a(comment)@example.com',
  'a@[127.0.0.1]',
  'a\\b@example.com',
  'a b@example.com',
  'learner@example.com\r\nBcc: victim@evil.example',
  'a\u00A0b@example.com',
  'a\u200B@example.com',
  'a\u2066@example.com',
  'victim\uFF20evil.example@example.com',
  'a\uFF0Cvictim@evil.example',
  '=?utf-8?q?victim=40evil.example?=@example.com',
  'a@b@example.com',
  '.a@example.com',
  'a..b@example.com',
  'a@example.com.',
  'a@-example.com',
  'a@exa_mple.com',
];

describe('EMAIL_PATTERN (SPEC §8.5: exactly one mailbox)', () => {
  it.each(MAILBOXES)('accepts %p, as libs/domain does', (address) => {
    expect(EMAIL.test(address)).toBe(true);
    expect(isSingleMailbox(address)).toBe(true);
  });

  it.each(NOT_MAILBOXES)('refuses %p, as libs/domain does', (address) => {
    expect(EMAIL.test(address)).toBe(false);
    expect(isSingleMailbox(address)).toBe(false);
  });

  it('completes on megabyte-long hostile input (no nested quantifiers to backtrack through)', () => {
    const mb = 1 << 20;
    for (const input of [
      'a'.repeat(mb),
      `${'a.'.repeat(mb / 2)}!`,
      `a@${'a-'.repeat(mb / 2)}`,
      `a@${'a.'.repeat(mb / 2)}-`,
      `${'a'.repeat(mb)}@`,
      '@'.repeat(mb),
    ]) {
      expect(EMAIL.test(input)).toBe(false);
    }
  });

  it('an event the notifier consumes is unreadable when its address is not one mailbox', () => {
    const event = JSON.parse(JSON.stringify(EVENT_EXAMPLES.AttemptStatusChanged)) as { data: { user: { email: string } } };
    expect(parseEvent(JSON.stringify(event))).not.toBeNull();
    event.data.user.email = 'x,victim@evil.example';
    expect(parseEvent(JSON.stringify(event))).toBeNull();
  });
});
