import { compareIds, OutboxHandoff, type OutboxRecord } from './outbox-handoff';

const rec = (id: string): OutboxRecord => ({ id, topic: 't', key: 'u1', value: Buffer.from(`v${id}`), headers: {} });

describe('OutboxHandoff: committed rows handed to the leading relay', () => {
  it('holds nothing until its relay leads, and drops everything when it stops leading', () => {
    const h = new OutboxHandoff();
    h.offer([rec('1')]);
    expect(h.get('1')).toBeUndefined();
    h.setAccepting(true);
    h.offer([rec('2'), rec('3')]);
    expect(h.get('2')?.value.toString()).toBe('v2');
    h.setAccepting(false);
    expect(h.size).toBe(0);
    h.offer([rec('4')]);
    expect(h.size).toBe(0);
  });

  it('refuses a transaction whose values would take it past its bound in bytes (the relay then reads those rows)', () => {
    const h = new OutboxHandoff(10); // rec values are 2 bytes each ("v1")
    h.setAccepting(true);
    h.offer([rec('1'), rec('2')]);
    h.offer([rec('3'), rec('4'), rec('5'), rec('6')]);
    expect([h.get('3'), h.get('6')]).toEqual([undefined, undefined]);
    h.offer([rec('3'), rec('4'), rec('5')]);
    expect([h.size, h.heldBytes]).toEqual([5, 10]);
    h.forget(['1', '2']);
    h.forgetBelow('4');
    expect([h.size, h.heldBytes]).toEqual([2, 4]);
    h.offer([{ ...rec('9'), value: Buffer.alloc(7) }]);
    expect(h.get('9')).toBeUndefined();
  });

  it('forgets published rows, and every row below the lowest unpublished id', () => {
    const h = new OutboxHandoff();
    h.setAccepting(true);
    h.offer(['8', '9', '10', '11', '12'].map(rec));
    h.forget(['11']);
    h.forgetBelow('10');
    expect(['8', '9', '10', '11', '12'].map((id) => h.get(id) !== undefined)).toEqual([false, false, true, false, true]);
    h.clear();
    expect(h.size).toBe(0);
  });

  it('orders ids numerically, not as text', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('100', '99')).toBeGreaterThan(0);
    expect(compareIds('123', '123')).toBe(0);
    expect(compareIds('124', '123')).toBeGreaterThan(0);
  });
});
