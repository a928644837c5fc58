import { PassThrough } from 'node:stream';
import pino from 'pino';
import type { LiveroomEvents, PublishStarted, RenditionOutput } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { BroadcastCoordinator } from './broadcast-coordinator';

/** Fakes for the three parts the coordinator sequences; every call is recorded in order. */
function rig(reconnectGraceMs = 0) {
  const calls: string[] = [];
  const broadcasts: string[] = [];
  const bus = new TypedEmitter<LiveroomEvents>();
  const pendingEnds: (() => void)[] = [];
  let holdEnds = false;
  const transcoder = {
    begin: jest.fn(async (p: PublishStarted) => {
      calls.push(`begin ${p.channel} ${p.publishId}`);
    }),
    end: jest.fn((channel: string) => {
      calls.push(`end ${channel}`);
      if (!holdEnds) return Promise.resolve();
      return new Promise<void>((resolve) => pendingEnds.push(resolve));
    }),
  };
  const packager = {
    attach: jest.fn((o: RenditionOutput, broadcastId: string) => {
      calls.push(`attach ${o.channel} ${o.publishId} ${o.rendition}`);
      broadcasts.push(broadcastId);
    }),
    pause: jest.fn((channel: string) => calls.push(`pause ${channel}`)),
    end: jest.fn((channel: string) => calls.push(`endlist ${channel}`)),
  };
  const ingest = {
    kick: jest.fn((channel: string) => {
      calls.push(`kick ${channel}`);
      return true;
    }),
  };
  const coordinator = new BroadcastCoordinator({ bus, transcoder, packager, ingest, log: pino({ level: 'silent' }), reconnectGraceMs });
  coordinator.start();
  const started = (channel: string, publishId: string): PublishStarted => ({
    channel,
    publishId,
    startedAt: Date.now(),
    remoteAddress: '127.0.0.1',
    openFeed: () => {
      throw new Error('not in unit tests');
    },
    source: () => ({ width: 0, height: 0, frameRate: 0, videoCodec: '', audioCodec: '', videoKbps: 0, audioKbps: 0 }),
  });
  return {
    bus, calls, broadcasts, transcoder, packager, ingest, coordinator, started,
    holdEnds: () => (holdEnds = true),
    releaseEnds: () => pendingEnds.splice(0).forEach((r) => r()),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('BroadcastCoordinator', () => {
  it('begins the transcoder on publish, passes rendition outputs to the packager, and ends in order on leave', async () => {
    const r = rig();
    r.bus.emit('publish:started', r.started('live', 'p1'));
    await settle();
    expect(r.coordinator.phase('live')).toBe('live');
    r.bus.emit('rendition:output', { channel: 'live', publishId: 'p1', rendition: 'source', run: 'p1-0', nominalBandwidth: 1, stream: new PassThrough() });
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
    expect(r.coordinator.phase('live')).toBe('ending');
    await settle();
    expect(r.calls).toEqual(['begin live p1', 'attach live p1 source', 'end live', 'endlist live']);
    expect(r.coordinator.phase('live')).toBe('idle');
    await r.coordinator.stop();
  });

  it('announces a broadcast once: started on the first publish, not on a reconnect within the grace, ended after its ENDLIST', async () => {
    const r = rig(60_000);
    const events: string[] = [];
    r.bus.on('broadcast:started', (e) => events.push(`started ${e.channel} ${e.broadcastId}`));
    r.bus.on('broadcast:ended', (e) => events.push(`ended ${e.channel} ${e.broadcastId} after ${r.calls.at(-1)}`));
    r.bus.emit('publish:started', r.started('live', 'p1'));
    await settle();
    r.bus.emit('rendition:output', { channel: 'live', publishId: 'p1', rendition: 'source', run: 'p1-0', nominalBandwidth: 1, stream: new PassThrough() });
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
    await settle();
    r.bus.emit('publish:started', r.started('live', 'p2')); // back within the grace
    await settle();
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p2', reason: 'kicked' });
    await settle();
    await settle();
    const id = r.broadcasts[0];
    expect(events).toEqual([`started live ${id}`, `ended live ${id} after endlist live`]);
    await r.coordinator.stop();
  });

  it('passes the whole RenditionOutput payload to the packager, with the broadcast id; drops outputs of a publish that is not on air', () => {
    const r = rig();
    const output: RenditionOutput = { channel: 'live', publishId: 'p1', rendition: '360p', run: 'p1-2', nominalBandwidth: 900_000, ladder: ['source', '360p'], stream: new PassThrough() };
    r.bus.emit('rendition:output', output);
    expect(r.packager.attach).not.toHaveBeenCalled();
    r.bus.emit('publish:started', r.started('live', 'p1'));
    r.bus.emit('rendition:output', output);
    expect(r.packager.attach).toHaveBeenCalledWith(output, expect.stringMatching(/^[0-9a-f]{8}$/));
  });

  describe('reconnect grace', () => {
    const output = (publishId: string): RenditionOutput => ({ channel: 'live', publishId, rendition: 'source', run: `${publishId}-0`, nominalBandwidth: 1, stream: new PassThrough() });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('a publisher back within the grace continues the same broadcast: paused, never ended', async () => {
      const r = rig(200);
      r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
      r.bus.emit('rendition:output', output('p1'));
      r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
      expect(r.coordinator.phase('live')).toBe('waiting');
      await settle();
      expect(r.calls).toEqual(['begin live p1', 'attach live p1 source', 'end live', 'pause live']);
      r.bus.emit('publish:started', r.started('live', 'p2'));
      await settle();
      expect(r.coordinator.phase('live')).toBe('live');
      r.bus.emit('rendition:output', output('p2'));
      await sleep(300); // past the grace: it was cleared by the return
      expect(r.calls).not.toContain('endlist live');
      expect(r.broadcasts).toHaveLength(2);
      expect(r.broadcasts[1]).toBe(r.broadcasts[0]);
      await r.coordinator.stop();
      expect(r.calls[r.calls.length - 1]).toBe('endlist live');
    });

    it('past the grace the broadcast ends, and the next publish is a new broadcast', async () => {
      const r = rig(50);
      r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
      r.bus.emit('rendition:output', output('p1'));
      r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-silent' });
      await sleep(120);
      expect(r.calls).toEqual(['begin live p1', 'attach live p1 source', 'end live', 'pause live', 'end live', 'endlist live']);
      expect(r.coordinator.phase('live')).toBe('idle');
      r.bus.emit('publish:started', r.started('live', 'p2'));
      r.bus.emit('rendition:output', output('p2'));
      expect(r.broadcasts[1]).not.toBe(r.broadcasts[0]);
      await r.coordinator.stop();
    });

    it('a kick ends at once, without a grace', async () => {
      const r = rig(10_000);
      r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
      r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'kicked' });
      expect(r.coordinator.phase('live')).toBe('ending');
      await settle();
      expect(r.calls).toEqual(['begin live p1', 'end live', 'endlist live']);
      await r.coordinator.stop();
    });

    it('stop() ends a waiting broadcast and clears its timer', async () => {
      const r = rig(60_000);
      r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
      r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
      await settle();
      await r.coordinator.stop(); // jest would report the open 60 s timer otherwise (--detectOpenHandles)
      expect(r.calls.slice(-1)).toEqual(['endlist live']);
      expect(r.coordinator.phase('live')).toBe('idle');
    });
  });

  it('makes a new publish wait until the previous broadcast has flushed (transcoder exited, ENDLIST written)', async () => {
    const r = rig();
    r.holdEnds();
    r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
    await settle();
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
    r.bus.emit('publish:started', r.started('live', 'p2'));
    await settle();
    expect(r.calls).toEqual(['begin live p1', 'end live']);
    expect(r.coordinator.phase('live')).toBe('starting');
    r.releaseEnds();
    await settle();
    expect(r.calls).toEqual(['begin live p1', 'end live', 'endlist live', 'begin live p2']);
    expect(r.coordinator.phase('live')).toBe('live');
  });

  it('keeps channels independent: one channel flushing does not hold another', async () => {
    const r = rig();
    r.holdEnds();
    r.bus.emit('publish:started', r.started('a', 'p1'));
    await settle();
    r.bus.emit('publish:ended', { channel: 'a', publishId: 'p1', reason: 'publisher-left' });
    r.bus.emit('publish:started', r.started('b', 'p2'));
    await settle();
    expect(r.calls).toEqual(['begin a p1', 'end a', 'begin b p2']);
    r.releaseEnds();
  });

  it('does not begin a publish that ended while it waited for the previous flush', async () => {
    const r = rig();
    r.holdEnds();
    r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
    await settle();
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
    r.bus.emit('publish:started', r.started('live', 'p2'));
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p2', reason: 'publisher-left' });
    await settle();
    r.releaseEnds();
    await settle();
    r.releaseEnds();
    await settle();
    expect(r.calls.filter((c) => c.startsWith('begin'))).toEqual(['begin live p1']);
    expect(r.coordinator.phase('live')).toBe('idle');
  });

  it('ignores an end for a publish that is not the current one', async () => {
    const r = rig();
    r.bus.emit('publish:started', r.started('live', 'p2'));
    await settle();
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'publisher-left' });
    await settle();
    expect(r.transcoder.end).not.toHaveBeenCalled();
    expect(r.coordinator.phase('live')).toBe('live');
  });

  it('kicks the publisher when the transcoder gives up, and only then', async () => {
    const r = rig();
    r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
    await settle();
    r.bus.emit('transcoder:exited', { channel: 'live', publishId: 'p1', code: 1, signal: null, willRestart: true });
    expect(r.ingest.kick).not.toHaveBeenCalled();
    r.bus.emit('transcoder:exited', { channel: 'live', publishId: 'p1', code: 1, signal: null, willRestart: false });
    expect(r.ingest.kick).toHaveBeenCalledWith('live');
  });

  it('a transcoder that fails to start is logged, and the channel still takes the next publish', async () => {
    const r = rig();
    r.transcoder.begin.mockRejectedValueOnce(new Error('mkdtemp ENOSPC'));
    r.bus.emit('publish:started', r.started('live', 'p1'));
      await settle();
    await settle();
    r.bus.emit('publish:ended', { channel: 'live', publishId: 'p1', reason: 'kicked' });
    r.bus.emit('publish:started', r.started('live', 'p2'));
    await settle();
    expect(r.calls).toEqual(['end live', 'endlist live', 'begin live p2']);
  });

  it('stop() ends every broadcast on air, waits for the flush, and stops listening', async () => {
    const r = rig();
    r.holdEnds();
    r.bus.emit('publish:started', r.started('a', 'p1'));
    r.bus.emit('publish:started', r.started('b', 'p2'));
    await settle();
    let stopped = false;
    const stopping = r.coordinator.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    r.releaseEnds();
    await stopping;
    expect(r.calls.slice(2).sort()).toEqual(['end a', 'end b', 'endlist a', 'endlist b']);
    r.bus.emit('publish:started', r.started('a', 'p3'));
    await settle();
    expect(r.transcoder.begin).toHaveBeenCalledTimes(2);
  });
});
