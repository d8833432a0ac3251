import { isBinaryMode, mediaType, parseBinaryCommand, parseCommand } from './command-parser';

/** CloudEvents binary mode on Kafka: attributes in `ce_*` headers, `content-type` = datacontenttype, data = value. */
const headers = (over: Record<string, string | undefined> = {}): Record<string, string> => {
  const all: Record<string, string | undefined> = {
    ce_specversion: '1.0',
    ce_id: 'cmd-9',
    ce_source: 'lms',
    ce_type: 'UpdateAttemptStatus',
    ce_time: '2026-12-01T10:00:00Z',
    'content-type': 'application/json; charset=utf-8',
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
};
const data = JSON.stringify({ examId: 'e1', userId: 'u1', toStatus: 'started' });

describe('isBinaryMode', () => {
  it('is binary with ce_specversion and a content-type that is not a structured CloudEvents type', () => {
    expect(isBinaryMode(headers())).toBe(true);
    expect(isBinaryMode(headers({ 'content-type': undefined }))).toBe(true);
  });

  it('is structured without ce_specversion, or with a structured content-type (parameters and case ignored)', () => {
    expect(isBinaryMode({ 'content-type': 'application/cloudevents+json' })).toBe(false);
    expect(isBinaryMode({})).toBe(false);
    expect(isBinaryMode(headers({ 'content-type': 'Application/CloudEvents+JSON; charset=utf-8' }))).toBe(false);
  });

  it('reads the media type of a content-type without its parameters', () => {
    expect(mediaType(' Application/JSON ; charset=UTF-8')).toBe('application/json');
  });
});

describe('parseBinaryCommand', () => {
  it('reads a command from ce_* headers and the value, as structured mode reads the same command', () => {
    const binary = parseBinaryCommand(headers({ ce_correlationid: 'corr-1' }), Buffer.from(data));
    const structured = parseCommand(
      JSON.stringify({
        specversion: '1.0',
        id: 'cmd-9',
        source: 'lms',
        type: 'UpdateAttemptStatus',
        time: '2026-12-01T10:00:00Z',
        datacontenttype: 'application/json',
        correlationid: 'corr-1',
        data: JSON.parse(data) as unknown,
      }),
    );
    expect(binary).toEqual(structured);
    expect(binary).toMatchObject({ kind: 'ok', command: { id: 'cmd-9', source: 'lms', correlationid: 'corr-1', data: { toStatus: 'started' } } });
  });

  it('is unreadable without a readable ce_id and ce_source (dead-lettered, no outcome)', () => {
    expect(parseBinaryCommand(headers({ ce_id: undefined }), Buffer.from(data)).kind).toBe('unreadable');
    expect(parseBinaryCommand(headers({ ce_source: '' }), Buffer.from(data)).kind).toBe('unreadable');
    expect(parseBinaryCommand(headers({ ce_id: undefined }), Buffer.from('not json'))).toEqual({ kind: 'unreadable', reason: 'not JSON (binary mode)' });
  });

  it('rejects INVALID_MESSAGE when the value is not JSON but the id and source are readable', () => {
    expect(parseBinaryCommand(headers(), Buffer.from('not json'))).toMatchObject({ kind: 'rejected', id: 'cmd-9', reason: 'INVALID_MESSAGE' });
    expect(parseBinaryCommand(headers(), null)).toMatchObject({ kind: 'rejected', reason: 'INVALID_MESSAGE' });
  });

  it('rejects INVALID_MESSAGE for a data content type other than JSON', () => {
    expect(parseBinaryCommand(headers({ 'content-type': 'application/avro' }), Buffer.from(data))).toMatchObject({
      kind: 'rejected',
      reason: 'INVALID_MESSAGE',
      message: expect.stringContaining('datacontenttype'),
    });
  });

  it('rejects an unknown type and invalid data as structured mode does', () => {
    expect(parseBinaryCommand(headers({ ce_type: 'Nope' }), Buffer.from(data))).toMatchObject({ kind: 'rejected', reason: 'UNKNOWN_COMMAND_TYPE', type: 'Nope' });
    expect(parseBinaryCommand(headers(), Buffer.from('{"examId":"e1"}'))).toMatchObject({ kind: 'rejected', reason: 'INVALID_MESSAGE' });
  });

  it('never takes data from a header, and ignores headers that are not CloudEvents attributes', () => {
    const parsed = parseBinaryCommand(headers({ ce_data: '{"toStatus":"verified"}', 'x-trace': 't', 'ce_Bad-Name': 'x' }), Buffer.from(data));
    expect(parsed).toMatchObject({ kind: 'ok', command: { data: { toStatus: 'started' } } });
  });

  it('bounds the value like structured mode (over 64 KiB: no data)', () => {
    expect(parseBinaryCommand(headers(), Buffer.alloc(70_000, 0x20))).toMatchObject({ kind: 'rejected', reason: 'INVALID_MESSAGE' });
  });
});
