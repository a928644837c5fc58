import type { LiveroomEvents } from '../core/events';
import { TypedEmitter } from '../core/typed-emitter';
import { parsePrometheusText } from '../tests/helpers/prometheus-text';
import { Metrics } from './metrics';
import { hlsRequestKind } from './metrics-routes';

describe('Metrics', () => {
  const deps = (bus: TypedEmitter<LiveroomEvents>) => ({
    bus,
    channels: async () => ['live'],
    transcodes: () => [],
    heldRequests: () => 2,
    viewers: () => ({ chat: 3, players: 1 }),
    chatConnections: () => 4,
  });

  it('counts bus events and reads gauges at scrape time; stop unsubscribes and empties the registry', async () => {
    const bus = new TypedEmitter<LiveroomEvents>();
    const metrics = new Metrics(deps(bus));
    metrics.start();
    bus.emit('transcoder:exited', { channel: 'live', publishId: 'p', code: 1, signal: null, willRestart: true });
    bus.emit('transcoder:exited', { channel: 'live', publishId: 'p', code: 1, signal: null, willRestart: false });
    bus.emit('ingest:refused', { remoteAddress: '10.0.0.1', reason: 'backed-off' });
    bus.emit('chat:moderation', { channel: 'live', action: 'ban', actor: { id: 'a', name: 'A', role: 'moderator' }, details: {}, at: 0 });
    bus.emit('recording:ready', { channel: 'live', recordingId: 'r', status: 'complete', startedAt: 0, endedAt: 1, duration: 1, bytes: 1 });
    bus.emit('channel:shared', { channel: 'live', broadcastId: null, method: 'embed' });
    metrics.observeHlsRequest('part', '200', 0.003);
    const m = parsePrometheusText((await metrics.exposition()).body);
    expect(m.value('liveroom_transcoder_exits_total', { channel: 'live', restarted: 'true' })).toBe(1);
    expect(m.value('liveroom_transcoder_exits_total', { channel: 'live', restarted: 'false' })).toBe(1);
    expect(m.value('liveroom_transcoder_restarts_total', { channel: 'live' })).toBe(1);
    expect(m.value('liveroom_rtmp_refused_total', { reason: 'backed-off' })).toBe(1);
    expect(m.value('liveroom_chat_moderation_actions_total', { channel: 'live', action: 'ban' })).toBe(1);
    expect(m.value('liveroom_recordings_ready_total', { status: 'complete' })).toBe(1);
    expect(m.value('liveroom_shares_total', { channel: 'live', method: 'embed' })).toBe(1);
    expect(m.value('liveroom_hls_request_duration_seconds_bucket', { kind: 'part', status: '200', le: '0.005' })).toBe(1);
    expect(m.value('liveroom_hls_held_requests')).toBe(2);
    expect(m.value('liveroom_viewers', { channel: 'live', kind: 'chat' })).toBe(3);
    expect(m.value('liveroom_chat_connections')).toBe(4);
    expect(m.value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);

    metrics.stop();
    expect(metrics.registry.getMetricsAsArray()).toHaveLength(0);
    expect(() => bus.emit('ingest:refused', { remoteAddress: '10.0.0.1', reason: 'timeout' })).not.toThrow();
  });

  it('names what an /hls request asks for', () => {
    expect(hlsRequestKind('/live/master.m3u8', {})).toBe('multivariant');
    expect(hlsRequestKind('/live/b1/source/index.m3u8', {})).toBe('playlist');
    expect(hlsRequestKind('/live/b1/source/index.m3u8', { _HLS_msn: '4' })).toBe('blocking-playlist');
    expect(hlsRequestKind('/live/b1/source/part-ab12-7.m4s', {})).toBe('part');
    expect(hlsRequestKind('/live/b1/source/seg-ab12-3.m4s', {})).toBe('segment');
    expect(hlsRequestKind('/live/b1/source/init-ab12-0.mp4', {})).toBe('init');
    expect(hlsRequestKind('/live/b1/source/../../etc', {})).toBe('other');
  });
});
