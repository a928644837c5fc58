/** 999, 1.2K, 12K, 1.5M. */
export function compactNumber(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '0';
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${n < 10_000 ? (Math.floor(n / 100) / 10).toFixed(1) : Math.floor(n / 1000)}K`.replace('.0K', 'K');
  return `${(Math.floor(n / 100_000) / 10).toFixed(1)}M`.replace('.0M', 'M');
}

/** "👁 12 watching" in the header: the channel's live viewer count from the chat. */
export class ViewerCount {
  constructor(
    private readonly box: HTMLElement,
    private readonly value: HTMLElement,
  ) {}

  set(count: number): void {
    this.box.hidden = false;
    this.value.textContent = compactNumber(count);
    const label = `${count.toLocaleString()} ${count === 1 ? 'viewer' : 'viewers'} watching now`;
    this.box.title = label;
    this.box.setAttribute('aria-label', label);
  }

  hide(): void {
    this.box.hidden = true;
  }
}
