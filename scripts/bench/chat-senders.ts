/**
 * The chat bench's senders: a few socket.io-client connections in the bench's own process that send the step's
 * messages into the room at the bench rate. Each message's text carries its step, sequence number and send time
 * (Date.now(), one clock for every process on this machine), which the receivers read.
 */
import crypto from 'node:crypto';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, SendAck, ServerToClientEvents } from '../../chat/chat-events';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** After what the receivers need (step, seq, send time): the rest of a typical chat line, ~45 characters in all. */
const FILLER = 'what a play, gg everyone';

/** What one step's sending gave: the sequence numbers the server acknowledged, their ack round trips (ms), the rest. */
export interface SendOutcome {
  acked: number[];
  ackMs: number[];
  /** Sends the server refused (rate limit…) or did not answer within 5 s. */
  refused: number;
  sendSeconds: number;
}

export class ChatSenders {
  private readonly sockets: Client[] = [];

  get count(): number {
    return this.sockets.length;
  }

  /** Connects `count` senders to the room one after the other; throws when the server refuses one. */
  async connect(url: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const socket: Client = ioClient(url, {
        path: '/socket.io',
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        // Batched, so the senders' own copies of the room's messages cost them (and the server) little.
        auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: `sender${i}`, batch: true },
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('welcome', () => resolve());
        socket.once('connect_error', (err) => reject(new Error(`sender refused: ${err.message}`)));
      });
      this.sockets.push(socket);
    }
  }

  /** Sends `total` messages of step `step` at `rate` per second, round-robin over the senders, on a 5 ms tick; resolves once every one is answered. */
  async send(step: number, total: number, rate: number): Promise<SendOutcome> {
    const senders = this.sockets;
    const acked: number[] = [];
    const ackMs: number[] = [];
    let refused = 0;
    let answered = 0;
    let seq = 0;
    const start = Date.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
        while (seq < due) {
          const mySeq = seq++;
          const sentAt = Date.now();
          senders[mySeq % senders.length]
            .timeout(5000)
            .emit('send', { text: `b${step} ${mySeq} ${sentAt} ${FILLER}` }, (err: Error | null, ack: SendAck) => {
              answered++;
              if (!err && ack.ok) {
                acked.push(mySeq);
                ackMs.push(Date.now() - sentAt);
              } else refused++;
              if (answered === total) resolve();
            });
        }
        if (seq >= total) clearInterval(tick);
      }, 5);
    });
    return { acked, ackMs, refused, sendSeconds: (Date.now() - start) / 1000 };
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}
