import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { parseCommand } from './command-parser';
import { COMMAND_TYPES } from './command.schemas';
import { ASYNCAPI_PATH, renderContractFiles, SCHEMAS_DIR } from './contract-docs';
import { REVIEW_TOPIC_TEMPLATES } from './asyncapi.builder';
import { validateEmailDeliveryFailed, validateEvent } from './event-parser';
import { EVENT_TYPES } from './event.schemas';
import { EMAIL_DELIVERY_FAILED } from './dead-letter.schemas';
import { COMMAND_EXAMPLES, EMAIL_DELIVERY_FAILED_EXAMPLE, EVENT_EXAMPLES } from './message.examples';
import { CONSUMER_GROUPS, TOPICS } from './topics';

type Json = Record<string, any>;  

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** A validator that knows nothing about our code: only the published documents. */
function freshAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

describe('generated documents', () => {
  it('are up to date (run scripts/generate-contracts.ts if this fails)', () => {
    for (const file of renderContractFiles()) {
      expect({ path: file.path, content: existsSync(join(ROOT, file.path)) ? read(file.path) : null }).toEqual({
        path: file.path,
        content: file.content,
      });
    }
    const generated = new Set(renderContractFiles().map((f) => f.path));
    const onDisk = readdirSync(join(ROOT, SCHEMAS_DIR)).map((f) => `${SCHEMAS_DIR}/${f}`);
    expect(onDisk.filter((p) => !generated.has(p))).toEqual([]);
  });

  it('are deterministic', () => {
    expect(renderContractFiles()).toEqual(renderContractFiles());
  });

  it('has one JSON Schema per command and event, each compiling and accepting its example', () => {
    const examples: Record<string, unknown> = {
      ...COMMAND_EXAMPLES,
      ...EVENT_EXAMPLES,
      [EMAIL_DELIVERY_FAILED]: EMAIL_DELIVERY_FAILED_EXAMPLE,
    };
    const ajv = freshAjv();
    for (const [name, example] of Object.entries(examples)) {
      const stem = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
      const schema = JSON.parse(read(`${SCHEMAS_DIR}/${stem}.schema.json`)) as Json;
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      const validate = ajv.compile(schema);
      expect({ name, ok: validate(example), errors: validate.errors ?? null }).toEqual({ name, ok: true, errors: null });
    }
  });
});

describe('docs/asyncapi.yaml', () => {
  const text = read(ASYNCAPI_PATH);
  const doc = parseYaml(text) as Json;

  it('parses with @asyncapi/parser without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    const problems = diagnostics
      // DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint.
      .filter((d) => Number(d.severity) <= 1)
      .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
    expect(document?.info().version()).toBe('1.0.0');
    expect(document?.channels().all().map((c) => c.address()).sort()).toEqual(
      [...Object.values(TOPICS), REVIEW_TOPIC_TEMPLATES.reviews, REVIEW_TOPIC_TEMPLATES.outcomes].sort(),
    );
  }, 60_000);

  it('is AsyncAPI 3.0.0 with the local Kafka server', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info.version).toBe('1.0.0');
    expect(doc.servers.local).toMatchObject({ host: '127.0.0.1:9092', protocol: 'kafka' });
  });

  it('binds every channel to its topic with 3 partitions', () => {
    for (const channel of Object.values(doc.channels as Json)) {
      expect(channel.bindings.kafka).toMatchObject({ topic: channel.address, partitions: 3, replicas: expect.any(Number) });
    }
  });

  it('names the two consumer groups', () => {
    const groups = Object.values(doc.operations as Json)
      .filter((op) => op.action === 'receive')
      .map((op) => op.bindings.kafka.groupId.enum[0] as string)
      .filter((g, i, all) => all.indexOf(g) === i)
      .sort();
    expect(groups).toEqual([CONSUMER_GROUPS.attemptService, CONSUMER_GROUPS.notifier].sort());
  });

  it('describes every command and event, each with a key schema and an example', () => {
    const messages = doc.components.messages as Json;
    for (const name of [...COMMAND_TYPES, ...EVENT_TYPES, 'UnreadableCommand', EMAIL_DELIVERY_FAILED]) {
      expect(messages[name]).toBeDefined();
      expect(messages[name].bindings.kafka.key.type).toBe('string');
      expect(messages[name].examples.length).toBeGreaterThan(0);
    }
  });

  it('has examples that validate against their payload and header schemas', () => {
    const ajv = freshAjv();
    const resolve = (s: Json): Json => {
      const ref = s.$ref as string | undefined;
      if (!ref) return s;
      const name = ref.replace('#/components/schemas/', '');
      return doc.components.schemas[name] as Json;
    };
    let checked = 0;
    for (const [name, message] of Object.entries(doc.components.messages as Json)) {
      const payload = ajv.compile(resolve(message.payload as Json));
      const headers = ajv.compile(resolve(message.headers as Json));
      for (const example of message.examples as Json[]) {
        expect({ name, ok: payload(example.payload), errors: payload.errors ?? null }).toEqual({ name, ok: true, errors: null });
        expect({ name, ok: headers(example.headers), errors: headers.errors ?? null }).toEqual({ name, ok: true, errors: null });
        checked += 1;
      }
    }
    expect(checked).toBe(COMMAND_TYPES.length + EVENT_TYPES.length + 2);
  });

  it('has examples our own parsers accept', () => {
    const messages = doc.components.messages as Json;
    for (const t of COMMAND_TYPES) {
      for (const ex of messages[t].examples as Json[]) expect(parseCommand(JSON.stringify(ex.payload)).kind).toBe('ok');
    }
    for (const t of EVENT_TYPES) {
      for (const ex of messages[t].examples as Json[]) expect(validateEvent(ex.payload, { strict: true }).ok).toBe(true);
    }
    for (const ex of messages[EMAIL_DELIVERY_FAILED].examples as Json[]) {
      expect(validateEmailDeliveryFailed(ex.payload, { strict: true })).toMatchObject({ ok: true });
    }
  });

  it('describes every message of every channel as a CloudEvent except the unreadable commands', () => {
    const messages = doc.components.messages as Json;
    for (const [name, message] of Object.entries(messages)) {
      const expected = name === 'UnreadableCommand' ? 'application/octet-stream' : 'application/cloudevents+json';
      expect({ name, contentType: message.contentType }).toEqual({ name, contentType: expected });
      if (name === 'UnreadableCommand') continue;
      const contentType = message.headers.properties['content-type'];
      if ((COMMAND_TYPES as readonly string[]).includes(name)) {
        // commands: structured mode with any parameters, or binary mode (application/json)
        const accepts = (v: string) => (contentType.oneOf as { pattern: string }[]).some((s) => new RegExp(s.pattern).test(v));
        for (const v of ['application/cloudevents+json', 'application/cloudevents+json; charset=utf-8', 'application/json', 'Application/JSON;charset=UTF-8'])
          expect({ v, ok: accepts(v) }).toEqual({ v, ok: true });
        for (const v of ['text/plain', 'application/cloudevents+jsonx', 'application/avro']) expect({ v, ok: accepts(v) }).toEqual({ v, ok: false });
      } else expect(contentType.const).toBe('application/cloudevents+json');
    }
  });
});

describe('docs/messaging.md', () => {
  const text = read('docs/messaging.md');
  const blocks = [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]) as Json);

  it('shows an example of every command, event and the notifier dead letter, and each one is valid', () => {
    const seen = new Set<string>();
    for (const block of blocks) {
      if (block.specversion === undefined) continue;
      const type = block.type as string;
      seen.add(type);
      if ((COMMAND_TYPES as readonly string[]).includes(type)) {
        expect({ type, kind: parseCommand(JSON.stringify(block)).kind }).toEqual({ type, kind: 'ok' });
      } else if (type === EMAIL_DELIVERY_FAILED) {
        expect({ type, result: validateEmailDeliveryFailed(block, { strict: true }).ok }).toEqual({ type, result: true });
      } else {
        expect({ type, result: validateEvent(block, { strict: true }).ok }).toEqual({ type, result: true });
      }
    }
    expect([...seen].sort()).toEqual([...COMMAND_TYPES, ...EVENT_TYPES, EMAIL_DELIVERY_FAILED].sort());
  });

  it('names every topic', () => {
    for (const topic of Object.values(TOPICS)) expect(text).toContain(`\`${topic}\``);
  });
});
