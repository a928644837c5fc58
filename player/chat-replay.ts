import type { ChatMessage } from '../chat/chat-events';

/** A jump of the replay's clock bigger than this (ms), or any step back, is a seek: the chat is rebuilt. */
export const SEEK_THRESHOLD_MS = 3000;

export interface ReplayStep {
  /** Set after a seek (or the first step): the whole chat as it stood at that moment. */
  rebuild?: ChatMessage[];
  /** Sent since the last step, in order (shown as they come; bullet comments fly). */
  added: ChatMessage[];
}

/**
 * Which of a broadcast's messages a replay shows at a wall-clock moment (the
 * video's position through EXT-X-PROGRAM-DATE-TIME): those sent up to it.
 * Pure, so it runs the same in the page and in a unit test.
 */
export class ChatReplay {
  private readonly messages: ChatMessage[];
  /** Index of the first message not shown yet. */
  private next = 0;
  private last: number | null = null;

  constructor(messages: ChatMessage[]) {
    this.messages = [...messages].sort((a, b) => a.ts - b.ts);
  }

  /** How many are shown now. */
  get shown(): number {
    return this.next;
  }

  advance(wall: number): ReplayStep {
    const seek = this.last === null || wall < this.last || wall - this.last > SEEK_THRESHOLD_MS;
    this.last = wall;
    const upTo = this.upperBound(wall);
    if (seek) {
      this.next = upTo;
      return { rebuild: this.messages.slice(0, upTo), added: [] };
    }
    const added = this.messages.slice(this.next, upTo);
    this.next = upTo;
    return { added };
  }

  /** The number of messages with ts <= wall (binary search). */
  private upperBound(wall: number): number {
    let lo = 0;
    let hi = this.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.messages[mid].ts <= wall) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
