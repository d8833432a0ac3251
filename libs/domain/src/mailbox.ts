import { err, ok, type Result } from './result';

/*
 * SPEC §8.5: the status email goes to exactly one mailbox, `local@domain`. The contract refuses
 * anything else at the door (libs/contracts EMAIL_PATTERN, the same character rules); this is the
 * notifier's last check before a send, so that a ledger row recorded before that rule, or by any
 * other path, can never add a recipient or a display name to `To:`.
 */

/** Non-ASCII code points no address may contain: invisible, format, space and punctuation lookalikes. */
const UNSAFE_NON_ASCII =
  '\\u0080-\\u00A0\\u00AD\\u034F\\u061C\\u115F\\u1160\\u1680\\u17B4\\u17B5\\u180B-\\u180F' +
  '\\u2000-\\u206F\\u2E00-\\u2E7F\\u3000-\\u3003\\u3164\\uFE00-\\uFE6F\\uFEFF\\uFF00-\\uFF65\\uFFA0' +
  '\\uFFF0-\\uFFFF\\uD800-\\uDFFF';
/** Local part: RFC 5322 `atext` without `?` (no encoded words), plus non-ASCII. */
const LOCAL = `[^\\u0000-\\u0020"(),.:;<>?@[\\\\\\]\\u007F${UNSAFE_NON_ASCII}]`;
/** A domain label's letters and digits; hyphens only inside a label. */
const DOMAIN = `[^\\u0000-\\u002F:-@[-\\u0060{-\\u007F${UNSAFE_NON_ASCII}]`;
const DOMAIN_OR_HYPHEN = `[^\\u0000-\\u002C./:-@[-\\u0060{-\\u007F${UNSAFE_NON_ASCII}]`;
const LABEL = `${DOMAIN}(?:${DOMAIN_OR_HYPHEN}*${DOMAIN})?`;
// eslint-disable-next-line no-misleading-character-class -- lone combining marks (U+034F, U+FE00…) are listed on purpose, to be refused
const SINGLE_MAILBOX = new RegExp(`^${LOCAL}+(?:\\.${LOCAL}+)*@${LABEL}(?:\\.${LABEL})*$`, 'u');

/** RFC 5321's limit on a forward path, and what the contract allows. */
export const MAILBOX_MAX_LENGTH = 254;

export interface RecipientRefusal {
  code: 'NOT_A_SINGLE_MAILBOX';
  /** Safe to log and to publish: it never contains the address. */
  reason: string;
}

/**
 * Whether `address` is exactly one mailbox: a dot-atom local part, one `@`, dot-separated domain
 * labels; no display name, group, comment, quotes, comma, semicolon, colon, angle bracket, bracket,
 * backslash, whitespace, invisible or control character. Its NFKC form must pass too, so that
 * compatibility characters (`﹫`, `⁽`, `⒈`) cannot turn into structure in a system that normalises.
 */
export function isSingleMailbox(address: string): boolean {
  return (
    address.length >= 3 &&
    address.length <= MAILBOX_MAX_LENGTH &&
    SINGLE_MAILBOX.test(address) &&
    SINGLE_MAILBOX.test(address.normalize('NFKC'))
  );
}

/** The recipient as it may be sent to, or why it may not (a permanent failure: no retry can help). */
export function checkRecipient(address: string): Result<string, RecipientRefusal> {
  if (typeof address === 'string' && isSingleMailbox(address)) return ok(address);
  return err({
    code: 'NOT_A_SINGLE_MAILBOX',
    reason: 'recipient address is not exactly one mailbox; not sent',
  });
}
