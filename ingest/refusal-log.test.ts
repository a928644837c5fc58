import { RefusalLog } from './refusal-log';
import type { Logger } from '../core/logger';

describe('RefusalLog', () => {
  it('writes one line per address per interval, with the counts of what it folded', () => {
    let now = 0;
    const lines: [Record<string, unknown>, string][] = [];
    const log = { warn: (o: Record<string, unknown>, m: string) => lines.push([o, m]) } as unknown as Logger;
    const r = new RefusalLog(log, 1000, () => now);
    r.refused('a', 'unknown-key');
    for (let i = 0; i < 50; i++) r.refused('a', i % 2 ? 'unknown-key' : 'protocol-violation');
    r.refused('b', 'backed-off');
    expect(lines.map(([o]) => o.remote)).toEqual(['a', 'b']);
    now = 1000;
    r.flush();
    expect(lines).toHaveLength(3);
    expect(lines[2][0]).toMatchObject({ remote: 'a', refused: { 'unknown-key': 25, 'protocol-violation': 25 } });
    r.refused('a', 'unknown-key'); // inside the interval the summary opened
    now = 2000;
    r.flush();
    now = 3000;
    r.flush();
    expect(lines).toHaveLength(4);
    r.refused('a', 'timeout');
    expect(lines).toHaveLength(5);
  });
});
