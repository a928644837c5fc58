import fs from 'node:fs';
import { UsageError } from './errors';

/** `--rendition` keys and the profile field each one sets. */
const RENDITION_KEYS: Record<string, { field: string; type: 'string' | 'number' }> = {
  name: { field: 'name', type: 'string' },
  height: { field: 'height', type: 'number' },
  width: { field: 'width', type: 'number' },
  fps: { field: 'maxFps', type: 'number' },
  kbps: { field: 'videoKbps', type: 'number' },
  video: { field: 'videoKbps', type: 'number' },
  maxrate: { field: 'maxrateKbps', type: 'number' },
  bufsize: { field: 'bufsizeKbps', type: 'number' },
  preset: { field: 'preset', type: 'string' },
  audio: { field: 'audioKbps', type: 'number' },
};

export const RENDITION_HELP =
  'name=NAME plus either copy, or height=H [size=WxH] [kbps=K] [maxrate=K] [bufsize=K] [fps=N] [preset=P] [audio=K]';

/**
 * Parses `--rendition name=360p,height=360,kbps=800,fps=30` (or `name=source,copy`)
 * into a rendition object. Only the syntax is checked here; the server validates
 * the profile as a whole and names any field it refuses.
 */
export function parseRendition(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : part.slice(eq + 1).trim();
    if (key === 'copy') {
      if (value !== undefined && value !== 'true') throw new UsageError(`--rendition '${text}': 'copy' takes no value`);
      out.copy = true;
      continue;
    }
    if (key === 'size') {
      const m = /^(\d+)x(\d+)$/.exec(value ?? '');
      if (!m) throw new UsageError(`--rendition '${text}': 'size' must look like 640x360`);
      out.width = Number(m[1]);
      out.height = Number(m[2]);
      continue;
    }
    const spec = RENDITION_KEYS[key];
    if (!spec) throw new UsageError(`--rendition '${text}': unknown key '${key}' (use ${RENDITION_HELP})`);
    if (value === undefined || value === '') throw new UsageError(`--rendition '${text}': '${key}' needs a value (${key}=…)`);
    if (spec.type === 'number') {
      const n = Number(value.replace(/k$/i, ''));
      if (!Number.isFinite(n)) throw new UsageError(`--rendition '${text}': '${key}' must be a number, got '${value}'`);
      out[spec.field] = n;
    } else {
      out[spec.field] = value;
    }
  }
  if (typeof out.name !== 'string') throw new UsageError(`--rendition '${text}': every rendition needs name=… (use ${RENDITION_HELP})`);
  return out;
}

export function parseKeyframes(value: string): 'source' | number {
  if (value === 'source') return 'source';
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n)) throw new UsageError(`--keyframes must be 'source' or a number of seconds, got '${value}'`);
  return n;
}

/** A profile from a JSON file ('-' reads standard input). */
export function readProfileFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`${file} must hold one JSON object (a profile)`);
  // What `profiles show --json` adds is read-only: drop it, so its output can be edited and sent back.
  const { builtin: _b, channels: _c, createdAt: _ca, updatedAt: _ua, ...profile } = json as Record<string, unknown>;
  return profile;
}

export interface ProfileFlags {
  file?: string;
  rendition?: string[];
  removeRendition?: string[];
  encoder?: string;
  keyframes?: string;
  description?: string;
}

/**
 * Applies flags onto a profile body. --rendition appends (`create`: the server
 * reports a repeated name), or with `replace` (`edit`) replaces the rendition
 * of the same name.
 */
export function applyProfileFlags(body: Record<string, unknown>, flags: ProfileFlags, replace = false): Record<string, unknown> {
  const out = { ...body };
  if (flags.description !== undefined) out.description = flags.description;
  if (flags.encoder !== undefined) out.encoder = flags.encoder;
  if (flags.keyframes !== undefined) out.keyframes = parseKeyframes(flags.keyframes);
  let renditions = Array.isArray(out.renditions) ? [...(out.renditions as Record<string, unknown>[])] : [];
  for (const name of flags.removeRendition ?? []) {
    if (!renditions.some((r) => r.name === name)) throw new UsageError(`--remove-rendition: the profile has no rendition '${name}'`);
    renditions = renditions.filter((r) => r.name !== name);
  }
  for (const text of flags.rendition ?? []) {
    const r = parseRendition(text);
    const i = replace ? renditions.findIndex((x) => x.name === r.name) : -1;
    if (i >= 0) renditions[i] = r;
    else renditions.push(r);
  }
  if (flags.rendition?.length || flags.removeRendition?.length || out.renditions !== undefined) out.renditions = renditions;
  return out;
}

/** The fields of a profile the API accepts back (what `show --json` adds is dropped). */
export function editableProfile(p: Record<string, unknown>): Record<string, unknown> {
  const { name, description, encoder, keyframes, renditions } = p;
  return { name, description, encoder, keyframes, renditions };
}
