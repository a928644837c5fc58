import { AddressGuard } from './address-guard';

describe('AddressGuard', () => {
  const limits = { maxConnectionsPerAddress: 2, authFailuresBeforeBackoff: 3, authBackoffMs: 1000, authBackoffMaxMs: 8000 };
  let now = 0;
  const guard = () => new AddressGuard(limits, () => now);
  beforeEach(() => (now = 1_000_000));

  it('caps concurrent connections per address, and frees a slot on close', () => {
    const g = guard();
    expect(g.open('a')).toBeUndefined();
    expect(g.open('a')).toBeUndefined();
    expect(g.open('a')).toBe('too-many-from-address');
    expect(g.open('b')).toBeUndefined();
    g.close('a');
    expect(g.open('a')).toBeUndefined();
  });

  it('backs an address off after repeated failures, doubling up to the maximum', () => {
    const g = guard();
    expect([g.fail('a'), g.fail('a')]).toEqual([0, 0]);
    expect(g.fail('a')).toBe(1000);
    expect(g.open('a')).toBe('backed-off');
    expect(g.open('b')).toBeUndefined();
    now += 1000;
    expect(g.open('a')).toBeUndefined();
    expect([g.fail('a'), g.fail('a'), g.fail('a'), g.fail('a')]).toEqual([2000, 4000, 8000, 8000]);
    expect(g.backoffLeft('a')).toBe(8000);
  });

  it('forgets an address once it has nothing open and no recent failure', () => {
    const g = guard();
    g.fail('a');
    g.open('b');
    g.close('b');
    expect(g.size).toBe(1);
    now += 8000;
    g.sweep();
    expect(g.size).toBe(0);
    expect(g.fail('a')).toBe(0); // starts over
  });
});
