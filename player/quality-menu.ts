import Hls, { type Level } from 'hls.js';
import { ListenerBag } from './listener-bag';

const AUTO = '-1';

type LevelFacts = Pick<Level, 'height' | 'bitrate' | 'frameRate' | 'name'>;

/** "720p60", or the level's NAME / position when there is no RESOLUTION. */
export function levelSize(level: LevelFacts, index: number): string {
  const fps = level.frameRate > 31 ? String(Math.round(level.frameRate)) : '';
  return level.height > 0 ? `${level.height}p${fps}` : level.name || `Level ${index + 1}`;
}

/** "720p60 · 2.5 Mbps", from what the master playlist announces. */
export function levelLabel(level: LevelFacts, index: number): string {
  const size = levelSize(level, index);
  if (!(level.bitrate > 0)) return size;
  const rate =
    level.bitrate >= 1_000_000 ? `${(level.bitrate / 1_000_000).toFixed(1)} Mbps` : `${Math.round(level.bitrate / 1000)} kbps`;
  return `${size} · ${rate}`;
}

/**
 * A <select> with "Auto" and every level. Manual picks use hls.nextLevel so the
 * switch happens at the next fragment without flushing the (short) buffer.
 */
export class QualityMenu {
  private hls: Hls | null = null;
  private readonly listeners = new ListenerBag();

  constructor(private readonly select: HTMLSelectElement) {}

  start(): void {
    this.listeners.on(this.select, 'change', () => this.onChange());
    this.clear();
  }

  stop(): void {
    this.detach();
    this.listeners.clear();
  }

  attach(hls: Hls): void {
    this.detach();
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, this.rebuild);
    hls.on(Hls.Events.LEVELS_UPDATED, this.rebuild);
    hls.on(Hls.Events.LEVEL_SWITCHED, this.refresh);
    if (hls.levels.length > 0) this.rebuild();
  }

  detach(): void {
    const hls = this.hls;
    if (hls) {
      hls.off(Hls.Events.MANIFEST_PARSED, this.rebuild);
      hls.off(Hls.Events.LEVELS_UPDATED, this.rebuild);
      hls.off(Hls.Events.LEVEL_SWITCHED, this.refresh);
    }
    this.hls = null;
    this.clear();
  }

  private clear(): void {
    this.select.replaceChildren();
    this.select.hidden = true;
  }

  private readonly rebuild = (): void => {
    const hls = this.hls;
    if (!hls) return;
    const options = [new Option('Auto', AUTO)];
    // Highest quality first, as viewers expect; the value stays the hls.js index.
    const order = hls.levels.map((level, index) => ({ level, index }));
    order.sort((a, b) => b.level.height - a.level.height || b.level.bitrate - a.level.bitrate);
    for (const { level, index } of order) options.push(new Option(levelLabel(level, index), String(index)));
    this.select.replaceChildren(...options);
    this.select.hidden = hls.levels.length < 2;
    this.refresh();
  };

  private readonly refresh = (): void => {
    const hls = this.hls;
    if (!hls) return;
    const auto = this.select.options[0];
    const current = hls.levels[hls.currentLevel];
    if (auto) auto.text = hls.autoLevelEnabled && current ? `Auto · ${levelSize(current, hls.currentLevel)}` : 'Auto';
    this.select.value = hls.autoLevelEnabled ? AUTO : String(hls.manualLevel);
  };

  private onChange(): void {
    const hls = this.hls;
    if (!hls) return;
    hls.nextLevel = Number(this.select.value);
    this.refresh();
  }
}
