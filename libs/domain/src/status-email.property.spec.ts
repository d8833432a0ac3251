import fc from 'fast-check';
import { STATUSES } from './statuses';
import { buildStatusEmail } from './status-email';

function numRunsFromEnv(): number {
  const n = Number.parseInt(process.env.FC_NUM_RUNS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 10_000;
}
const numRuns = numRunsFromEnv();

const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }));

/** The HTML with the template's own markup removed: what is left came from the inputs. */
function interpolatedParts(html: string): string {
  return html
    .replace('<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n<p>', '')
    .replace('</p>\n</body>\n</html>\n', '')
    .replace(/<a href="[^"]*">/, '')
    .replace('</a>', '');
}

describe('buildStatusEmail properties', () => {
  it('never throws, and no input can inject markup, for any strings (lone surrogates included)', () => {
    fc.assert(
      fc.property(
        fc.record({
          toEmail: text,
          examName: text,
          courseName: fc.option(text, { nil: null }),
          courseId: text,
          status: fc.constantFrom(...STATUSES),
          settings: fc.record({
            siteName: fc.constantFrom('lms.example.com', 'localhost:8000'),
            platformName: text,
            contactEmail: text,
            fromEmail: text,
            https: fc.boolean(),
            courseInfoPath: fc.constantFrom('/courses/{courseId}/info', '', '/{courseId}/{courseId}'),
          }),
        }),
        (input) => {
          const mail = buildStatusEmail(input);
          const rest = interpolatedParts(mail.html);
          return (
            !/[<>"']/.test(rest) &&
            mail.courseUrl.startsWith(
              `${input.settings.https ? 'https' : 'http'}://${input.settings.siteName}`,
            ) &&
            !/[\s"'<>()]/.test(mail.courseUrl.slice(8)) &&
            !/[\r\n]/.test(mail.subject)
          );
        },
      ),
      { numRuns },
    );
  });
});
