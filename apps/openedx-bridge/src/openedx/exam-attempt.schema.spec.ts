import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { avroType } from '../registry/confluent-avro';
import {
  examAttemptValueSchema,
  fullTopic,
  keySubject,
  KEY_SCHEMA,
  OPENEDX_EXAM_EVENTS,
  OPENEDX_EXAM_EVENT_TYPES,
  pythonJsonDumps,
  valueSubject,
  type AvroSchemaJson,
} from './exam-attempt.schema';

const FIXTURES = join(__dirname, '../../../../test/fixtures/openedx-events');

function fixture(eventType: string): AvroSchemaJson {
  const file = `${eventType.replace(/\./g, '+')}_schema.avsc`;
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as AvroSchemaJson;
}

describe('Open edX exam attempt schemas', () => {
  it('has a fixture from openedx-events for each of the five events, and no other', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    expect(files).toEqual(
      Object.values(OPENEDX_EXAM_EVENT_TYPES)
        .map((t) => `${t.replace(/\./g, '+')}_schema.avsc`)
        .sort(),
    );
  });

  it.each(OPENEDX_EXAM_EVENTS)('%s: ours is exactly the schema openedx-events publishes', (event) => {
    const ours = examAttemptValueSchema(event);
    const theirs = fixture(OPENEDX_EXAM_EVENT_TYPES[event]);
    expect(ours).toEqual(theirs);
    // The registered text (sorted keys) is the same too, and both parse as Avro to the same type.
    expect(pythonJsonDumps(ours)).toBe(pythonJsonDumps(theirs));
    expect(avroType(ours).equals(avroType(theirs))).toBe(true);
  });

  it('writes schema text the way Python json.dumps(sort_keys=True) does', () => {
    expect(pythonJsonDumps(KEY_SCHEMA)).toBe('{"name": "course_key", "type": "string"}');
    expect(pythonJsonDumps({ b: [1, null, true], a: 'é' })).toBe('{"a": "\\u00e9", "b": [1, null, true]}');
  });

  it('names topics and subjects as event-bus-kafka does', () => {
    expect(fullTopic('learning-exam-attempt-lifecycle', 'dev')).toBe('dev-learning-exam-attempt-lifecycle');
    expect(fullTopic('learning-exam-attempt-lifecycle', undefined)).toBe('learning-exam-attempt-lifecycle');
    expect(valueSubject('t', 'reset')).toBe('t-org.openedx.learning.exam.attempt.reset.v1.CloudEvent');
    expect(keySubject('t')).toBe('t-string');
  });
});
