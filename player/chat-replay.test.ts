import type { ChatMessage } from '../chat/chat-events';
import { ChatReplay } from './chat-replay';

const msg = (id: string, ts: number): ChatMessage => ({ id, channel: 'live', ts, text: id, author: { id: 'u', name: 'U', role: 'viewer' }, kind: 'chat' });

describe('ChatReplay', () => {
  const all = [msg('c', 3000), msg('a', 1000), msg('b', 2000), msg('d', 10_000)];

  it('shows the messages sent up to the moment, adding them as the clock runs', () => {
    const r = new ChatReplay(all);
    expect(r.advance(500)).toEqual({ rebuild: [], added: [] });
    expect(r.advance(1500).added.map((m) => m.id)).toEqual(['a']);
    expect(r.advance(3000).added.map((m) => m.id)).toEqual(['b', 'c']);
    expect(r.advance(3500).added).toEqual([]);
    expect(r.shown).toBe(3);
  });

  it('rebuilds on a seek, back or forward', () => {
    const r = new ChatReplay(all);
    r.advance(3500);
    expect(r.advance(1200).rebuild?.map((m) => m.id)).toEqual(['a']);
    expect(r.advance(12_000).rebuild?.map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(r.shown).toBe(4);
  });
});
