import { allSchemas, compileContracts, messageSchemas } from './schema-registry';

describe('schema registry', () => {
  it('lists every named schema, sorted', () => {
    const names = Object.keys(allSchemas());
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['RegisterExam', 'AttemptStatusChanged', 'CommandEnvelope', 'EmailDeliveryFailed']));
    expect(messageSchemas().map((m) => m.name)).toHaveLength(22);
  });

  it('compiles every schema (the start-up check)', () => {
    expect(() => compileContracts()).not.toThrow();
  });
});
