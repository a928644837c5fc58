import crypto from 'node:crypto';
import type { HlsConfig } from '../core/config-schema';
import type { RenditionOutput } from '../core/events';
import type { Logger } from '../core/logger';
import { ChannelPackager, type MediaSink } from './channel-packager';

/** Our LL-HLS origin: one ChannelPackager per channel that has ever gone live in this run. */
export class Packager {
  private readonly channels = new Map<string, ChannelPackager>();
  /** Distinguishes this server run's media URIs from an earlier run's. */
  readonly epoch = crypto.randomBytes(3).toString('hex');

  constructor(
    private readonly config: HlsConfig,
    private readonly log: Logger,
    private readonly onLiveChange: (channel: string, live: boolean, publishId: string | null) => void,
    /** Completed inits and segments, as they complete (the recorder's feed). */
    private readonly media?: MediaSink,
  ) {}

  channel(name: string): ChannelPackager | undefined {
    return this.channels.get(name);
  }

  /** Feeds one rendition's fMP4 stream of one ffmpeg run (the `rendition:output` payload). */
  attach(output: RenditionOutput, broadcastId: string): void {
    const { channel, publishId, run, rendition, stream, nominalBandwidth, ladder } = output;
    let cp = this.channels.get(channel);
    if (!cp) {
      cp = new ChannelPackager(
        channel,
        { partTarget: this.config.partTarget, segmentTarget: this.config.segmentTarget, windowSegments: this.config.windowSegments, epoch: this.epoch },
        this.log.child({ channel }),
        (live, publishId) => this.onLiveChange(channel, live, publishId),
        this.media,
      );
      this.channels.set(channel, cp);
    }
    cp.attach(broadcastId, publishId, run, rendition, stream, nominalBandwidth, ladder);
  }

  pause(channel: string): void {
    this.channels.get(channel)?.pause();
  }

  end(channel: string): void {
    this.channels.get(channel)?.end();
  }

  stop(): void {
    for (const cp of this.channels.values()) cp.close();
  }
}
