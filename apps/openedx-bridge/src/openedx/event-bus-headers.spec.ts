import { ceIdFor, eventBusHeaders, pythonIsoformat, uuidV5 } from './event-bus-headers';

describe('event-bus-kafka headers', () => {
  it('writes the headers event-bus-kafka writes, in its order', () => {
    const h = eventBusHeaders({
      event: 'verified',
      id: 'x',
      source: 'openedx/proctoring-attempts/web',
      time: '2026-12-04T13:30:49.123Z',
      sourcehost: 'h1',
    });
    expect(Object.entries(h)).toEqual([
      ['ce_specversion', '1.0'],
      ['content-type', 'application/avro'],
      ['ce_datacontenttype', 'application/avro'],
      ['ce_type', 'org.openedx.learning.exam.attempt.verified.v1'],
      ['ce_id', 'x'],
      ['ce_source', 'openedx/proctoring-attempts/web'],
      ['ce_time', '2026-12-04T13:30:49.123000+00:00'],
      ['ce_minorversion', '0'],
      ['sourcehost', 'h1'],
      ['sourcelib', '11.2.0'],
    ]);
  });

  it('writes times as Python isoformat does', () => {
    expect(pythonIsoformat('2026-12-04T13:30:49.000Z')).toBe('2026-12-04T13:30:49+00:00');
    expect(pythonIsoformat('2026-12-04T14:30:49.5+01:00')).toBe('2026-12-04T13:30:49.500000+00:00');
  });

  it('derives ce_id as a UUID v5: the same for the same event, different otherwise', () => {
    // RFC 4122 appendix B's DNS namespace example, as Python's uuid.uuid5 computes it.
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    const id = ceIdFor('0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10', 'submitted');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ceIdFor('0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10', 'submitted')).toBe(id);
    expect(ceIdFor('0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b11', 'submitted')).not.toBe(id);
  });
});
