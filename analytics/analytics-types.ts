/**
 * The analytics admin API's replies, shared by the server, the CLI and the
 * admin page (player/analytics.ts): type-only, nothing here runs.
 */
import type { BroadcastFigures, ViewerSample } from '../storage/analytics-store';

export type { BroadcastFigures, RenditionWatched, ViewerSample } from '../storage/analytics-store';

/** A broadcast's figures with what they imply: seconds on air (to its last sample) and the time-weighted mean of viewers. */
export type AnalyticsSummary = BroadcastFigures & { durationSeconds: number; averageViewers: number };

/** GET /api/admin/analytics?channel=&limit= */
export interface AnalyticsList {
  broadcasts: AnalyticsSummary[];
}

/** GET /api/admin/analytics/<broadcastId>: the figures and the viewers over time. */
export type AnalyticsDetail = AnalyticsSummary & { samples: ViewerSample[] };
