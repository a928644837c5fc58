import { sparkline } from './output';

describe('sparkline', () => {
  it('draws one block per value, scaled from 0 to the largest', () => {
    expect(sparkline([0, 1, 2, 4, 8, 4, 0])).toBe('▁▂▃▅█▅▁');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });

  it('merges neighbours by their largest to stay within the width', () => {
    const line = sparkline([...Array(100).fill(1), 9, ...Array(99).fill(1)], 50);
    expect([...line]).toHaveLength(50);
    expect(line.match(/█/g)).toHaveLength(1);
  });
});
