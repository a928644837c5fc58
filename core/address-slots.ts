/**
 * What each client address holds open right now (held HLS requests, status
 * event streams), against a per-address cap. A slot is taken with `acquire`
 * and given back by the function it returns; an address holding nothing is
 * forgotten, so memory follows the addresses with something open.
 */
export class AddressSlots {
  private readonly open = new Map<string, number>();
  private all = 0;

  constructor(readonly maxPerAddress: number) {}

  /** A slot for `address` and its release (extra calls do nothing), or undefined when the address is at the cap. */
  acquire(address: string): (() => void) | undefined {
    const n = this.open.get(address) ?? 0;
    if (n >= this.maxPerAddress) return undefined;
    this.open.set(address, n + 1);
    this.all++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.all--;
      const left = (this.open.get(address) ?? 1) - 1;
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    };
  }

  /** Slots held by `address`, or by everyone. */
  count(address?: string): number {
    return address === undefined ? this.all : (this.open.get(address) ?? 0);
  }
}
