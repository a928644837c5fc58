import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, type LiveroomConfig, type LiveroomConfigInput } from '../core/config-schema';
import { fail } from '../core/errors';

/** Environment variables and the config key each one sets (all prefixed LIVEROOM_). */
/** `list`: comma-separated, spaces around entries ignored. */
export const ENV_KEYS: Record<string, { key: string; type: 'string' | 'number' | 'list' }> = {
  LIVEROOM_DATA_DIR: { key: 'dataDir', type: 'string' },
  LIVEROOM_DATABASE_URL: { key: 'databaseUrl', type: 'string' },
  LIVEROOM_DEFAULT_CHANNEL: { key: 'defaultChannel', type: 'string' },
  LIVEROOM_STREAM_KEY: { key: 'streamKey', type: 'string' },
  LIVEROOM_LOG_LEVEL: { key: 'logLevel', type: 'string' },
  LIVEROOM_SHUTDOWN_TIMEOUT_MS: { key: 'shutdownTimeoutMs', type: 'number' },
  LIVEROOM_RTMP_PORT: { key: 'rtmp.port', type: 'number' },
  LIVEROOM_RTMP_HOST: { key: 'rtmp.host', type: 'string' },
  LIVEROOM_HTTP_PORT: { key: 'http.port', type: 'number' },
  LIVEROOM_HTTP_HOST: { key: 'http.host', type: 'string' },
  LIVEROOM_PUBLIC_URL: { key: 'http.publicUrl', type: 'string' },
  LIVEROOM_CORS_ORIGIN: { key: 'http.corsOrigin', type: 'string' },
  LIVEROOM_TRUSTED_PROXIES: { key: 'http.trustedProxies', type: 'list' },
  LIVEROOM_TLS_CERT: { key: 'http.tls.cert', type: 'string' },
  LIVEROOM_TLS_KEY: { key: 'http.tls.key', type: 'string' },
  LIVEROOM_RTMPS_PORT: { key: 'rtmp.tlsPort', type: 'number' },
  LIVEROOM_PART_TARGET: { key: 'hls.partTarget', type: 'number' },
  LIVEROOM_SEGMENT_TARGET: { key: 'hls.segmentTarget', type: 'number' },
  LIVEROOM_PROFILE: { key: 'transcoder.defaultProfile', type: 'string' },
  LIVEROOM_HW_DEVICE: { key: 'transcoder.hwDevice', type: 'string' },
  LIVEROOM_REDIS_URL: { key: 'chat.redisUrl', type: 'string' },
  LIVEROOM_NODE_URL: { key: 'cluster.nodeUrl', type: 'string' },
  LIVEROOM_NODE_ID: { key: 'cluster.nodeId', type: 'string' },
  LIVEROOM_METRICS_TOKEN: { key: 'metrics.token', type: 'string' },
  LIVEROOM_METRICS_PORT: { key: 'metrics.port', type: 'number' },
  LIVEROOM_ANALYTICS_INTERVAL_MS: { key: 'analytics.sampleIntervalMs', type: 'number' },
};

function setPath(target: Record<string, unknown>, dotted: string, value: unknown) {
  const parts = dotted.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function fromEnv(env: NodeJS.ProcessEnv, into: Record<string, unknown>) {
  for (const [name, { key, type }] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw fail('LR_CONFIG_ENV_NOT_NUMBER', { variable: name, raw, key });
      setPath(into, key, n);
    } else if (type === 'list') {
      setPath(into, key, raw.split(',').map((e) => e.trim()).filter((e) => e !== ''));
    } else {
      setPath(into, key, raw);
    }
  }
}

/** Settings that were removed, and what to use instead: a config that still sets one is told so. */
const REPLACED_SETTINGS: Record<string, string> = {
  'chat.trustProxy':
    "'chat.trustProxy' is replaced by 'http.trustedProxies': list the addresses of your reverse proxies (for nginx on the same host, [\"127.0.0.1\"]) and remove 'chat.trustProxy'",
};

function describe(issue: z.core.$ZodIssue): string {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const prefix = key ? `${key}.` : '';
    const replaced = issue.keys.map((k) => REPLACED_SETTINGS[`${prefix}${k}`]).find((m) => m !== undefined);
    if (replaced) return replaced;
    return `unknown setting ${issue.keys.map((k) => `'${prefix}${k}'`).join(', ')}`;
  }
  // Cross-field rules name their keys themselves; a single value's refinement gets its key here.
  if (issue.code === 'custom') return issue.message.startsWith("'") || !key ? issue.message : `'${key}': ${issue.message}`;
  return `'${key}': ${issue.message}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Validates an object against the schema; throws LR_CONFIG_INVALID naming the first bad key. */
export function parseConfig(input: unknown): LiveroomConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw fail('LR_CONFIG_INVALID', { problem: describe(result.error.issues[0]) });
  return deepFreeze(result.data);
}

export interface LoadOptions {
  /** A JSON config file; LIVEROOM_CONFIG names one when unset. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last (tests, the CLI's flags). */
  overrides?: LiveroomConfigInput;
}

/** File, then environment, then overrides; validated and frozen. */
export function loadConfig(opts: LoadOptions = {}): LiveroomConfig {
  const env = opts.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const file = opts.file ?? env.LIVEROOM_CONFIG;
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(file), 'utf8');
    } catch (err) {
      throw fail('LR_CONFIG_FILE_UNREADABLE', { file, reason: (err as Error).message });
    }
    try {
      Object.assign(merged, JSON.parse(text));
    } catch (err) {
      throw fail('LR_CONFIG_FILE_NOT_JSON', { file, reason: (err as Error).message });
    }
  }
  fromEnv(env, merged);
  mergeDeep(merged, (opts.overrides ?? {}) as Record<string, unknown>);
  return parseConfig(merged);
}

function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown>) {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
      mergeDeep(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      target[k] = v;
    }
  }
}
