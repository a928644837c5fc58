/**
 * The abuse bench's attacker, in its own process (forked by bench-abuse.ts):
 * runs lanes of random-byte, stalled-handshake and publish-flood connections
 * at full speed for the given time, then reports what it sent.
 */
import { emptyCounts, runLanes, type AbuseCounts, type AbuseTarget } from './abuse-traffic';

export interface AbuseWorkerRequest {
  type: 'start';
  target: AbuseTarget;
  seconds: number;
  garbageLanes: number;
  stalledLanes: number;
  floodLanes: number;
  garbageBytes: number;
  publishes: number;
}

export interface AbuseWorkerReply {
  type: 'done';
  counts: Record<'garbage' | 'stalled' | 'publish-flood', AbuseCounts>;
}

process.on('message', (msg: AbuseWorkerRequest) => {
  if (msg.type !== 'start') return;
  const deadline = Date.now() + msg.seconds * 1000;
  const running = () => Date.now() < deadline;
  const counts = { garbage: emptyCounts(), stalled: emptyCounts(), 'publish-flood': emptyCounts() };
  // A stalled lane holds its connection until the server drops it, or until the attack ends.
  const stallMs = msg.seconds * 1000;
  void Promise.all([
    runLanes('garbage', msg.garbageLanes, msg.target, counts.garbage, running, { garbageBytes: msg.garbageBytes }),
    runLanes('stalled', msg.stalledLanes, msg.target, counts.stalled, running, { stallMs, until: deadline }),
    runLanes('publish-flood', msg.floodLanes, msg.target, counts['publish-flood'], running, { publishes: msg.publishes }),
  ]).then(() => {
    const reply: AbuseWorkerReply = { type: 'done', counts };
    process.send?.(reply, () => process.exit(0));
  });
});
