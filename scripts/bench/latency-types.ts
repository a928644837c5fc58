import type { PinTarget, ReaderSnapshot } from './stamp-reader';
import type { StampPublisherStats } from './stamp-publisher';
import type { Summary } from './stats';

/** Types of the latency bench's options and of bench-results/latency.json. */
export interface LatencyBenchOptions {
  /** Repository root (dist/server/main.js lives under it). */
  root: string;
  /** How long the stream has been live before the first page opens. */
  settleSeconds: number;
  /** Fresh page loads per level. */
  joins: number;
  warmupSeconds: number;
  measureSeconds: number;
  firstFrameRuns: number;
  log: (line: string) => void;
}

export interface LevelTarget {
  label: string;
  pin: PinTarget;
}

export interface LevelResult {
  label: string;
  pin: PinTarget;
  /** Glass-to-glass latency (ms) of the frames presented in the measuring windows of all joins. */
  latencyMs: Summary;
  /** Each fresh page (join) on its own: where it joins the GOP largely sets its latency. */
  joins: Array<{
    latencyMs: Summary;
    /** p50 of hls.latency (seconds) in that window. */
    hlsLatencyS: number;
    /** ms from navigation start to the first readable frame at the pinned level. */
    firstFrameMs: number | null;
    /** [second into the window, median latency ms of the frames in that second] */
    series: Array<[number, number]>;
  }>;
  /**
   * p50 glass-to-glass minus p50 hls.latency (ms): roughly capture → encode → RTMP →
   * packager → part listed in the playlist, plus display; hls.latency is the rest
   * (how far behind the playlist's live edge the player sits).
   */
  pipelineMs: number;
  /**
   * Stamp difference between consecutive frames read (ms): a check on the reader. 33 ms at
   * 30 fps; 0 would mean a frame read twice, 67 a frame skipped (by the player or the reader).
   */
  stampStepMs: Summary;
  /** Frames expected in the windows at the publisher's frame rate. */
  expectedFrames: number;
  /** Frames in the windows decoded at another height than the pinned level's (should be 0). */
  wrongLevelFrames: number;
  /** Rejected stamp reads over the pages' whole lives, by reason. */
  rejects: Record<string, number>;
  framesPresented: number;
  levels: ReaderSnapshot['levels'];
  pinnedIndex: number | null;
  pinError: string | null;
  /** hls.js's own view during the windows (seconds): hls.latency, hls.targetLatency, hls.drift. */
  hlsLatency: Summary;
  hlsTargetLatency: Summary;
  hlsDrift: Summary;
  playbackRate: Summary;
  bufferAheadS: Summary;
  waitingEvents: number;
  stalledMs: number;
  hlsErrors: ReaderSnapshot['hlsErrors'];
  levelSwitches: number;
  fragLoads: number;
  partLoads: number;
  droppedVideoFrames: number;
  /** Milestones of the last join's page (ms since navigation start). */
  marks: Record<string, number>;
  console: string[];
  /** Averaged over the joins' measuring windows. */
  cpu: CpuWindow;
}

export interface FirstFrameRun {
  /** Navigation start → first presented frame (requestVideoFrameCallback expectedDisplayTime). */
  sinceNavMs: number;
  /** Node's page.goto() call → first presented frame (includes Playwright's overhead). */
  sinceGotoMs: number;
  /** Navigation start → the video's first 'playing' event. */
  playingMs: number | null;
  videoHeight: number;
  firstFrameLatencyMs: number | null;
  /** Median glass-to-glass latency over the ~2 s after the first frame. */
  settledLatencyMs: number | null;
  /** Navigation-relative milestones (see ReaderSnapshot.marks). */
  marks: Record<string, number>;
  hlsErrors: ReaderSnapshot['hlsErrors'];
}

export interface CpuWindow {
  /** Whole machine, 0..1 (all cores). */
  machineBusy: number;
  cores: number;
  /** Percent of one core per process tree of ours during the window ("label:command"). */
  processes: Record<string, number>;
  /** Cores' worth of CPU used by everything else on the machine during the window. */
  otherCores: number;
}

export interface LatencyResult {
  bench: 'latency';
  startedAt: string;
  durationS: number;
  host: { cpus: number; cpuModel: string; node: string; platform: string };
  settings: {
    settleSeconds: number;
    joins: number;
    warmupSeconds: number;
    measureSeconds: number;
    firstFrameRuns: number;
    publisher: { width: number; height: number; fps: number; keyframeIntervalS: number; encoder: string };
  };
  targets: { passthroughP50Ms: number; passthroughP95Ms: number; firstFrameMs: number };
  levels: LevelResult[];
  firstFrame: {
    medianMs: number;
    medianSinceGotoMs: number;
    /** Glass-to-glass latency 1–2 s after each fresh join (default level): how the join point spreads it. */
    settledLatencyMs: Summary;
    runs: FirstFrameRun[];
  };
  server: {
    /** Publisher start → master playlist answering 200. */
    liveAfterMs: number;
    masterPlaylist: string;
    mediaPlaylistHeaders: Record<string, string>;
    /** Everything the server printed (run with LIVEROOM_LOG_LEVEL=warn). */
    log: string[];
    /** The pino lines at warn level or above, and anything else that is not the start banner. */
    warnings: string[];
  };
  publisher: StampPublisherStats & { stderr: string };
}
