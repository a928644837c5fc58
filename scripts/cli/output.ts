/** Plain-text tables and small formatters for the CLI's human output. */

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export const yesNo = (b: boolean) => (b ? 'yes' : 'no');

export function kbits(bitsPerSecond: number | null | undefined): string {
  if (bitsPerSecond === null || bitsPerSecond === undefined || !Number.isFinite(bitsPerSecond)) return '-';
  return bitsPerSecond >= 1_000_000 ? `${(bitsPerSecond / 1_000_000).toFixed(2)} Mb/s` : `${Math.round(bitsPerSecond / 1000)} kb/s`;
}

/** UTC, to the minute (or to the second). */
export function when(ms: number | null | undefined, seconds = false): string {
  if (!ms) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, seconds ? 19 : 16);
}

export function since(ms: number, now = Date.now()): string {
  if (!ms) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** Values as one line of unicode blocks, `width` wide at most (neighbouring values merged by their largest); the lowest block is 0. */
export function sparkline(values: number[], width = 60): string {
  if (values.length === 0) return '';
  const per = Math.ceil(values.length / width);
  const cols: number[] = [];
  for (let i = 0; i < values.length; i += per) cols.push(Math.max(...values.slice(i, i + per)));
  const top = Math.max(...cols);
  return cols.map((v) => (top > 0 ? BLOCKS[Math.round((v / top) * (BLOCKS.length - 1))] : BLOCKS[0])).join('');
}
