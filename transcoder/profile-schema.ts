import { z } from 'zod';
import { fail } from '../core/errors';
import { NAME_PATTERN, NAME_RULE } from '../core/names';
import { ENCODER_CHOICES, PRESETS, type Profile } from './profiles';

/**
 * A transcode profile validated as a whole. Every error names the field and
 * says why ("'renditions[1] (360p).height' (361) must be even: ..."), so an
 * operator can fix a JSON file or a CLI flag without reading code.
 */
const MUST_BE_NAME = `must be ${NAME_RULE}`;

const kbps = (what: string, min: number, max: number) =>
  z
    .number({ error: `must be a number (${what}, kbit/s)` })
    .int(`must be a whole number of kbit/s (${what})`)
    .min(min, `must be at least ${min} kbit/s (${what})`)
    .max(max, `must be at most ${max} kbit/s (${what})`);

const renditionSchema = z
  .object({
    name: z.string({ error: 'a rendition needs a name' }).regex(NAME_PATTERN, MUST_BE_NAME),
    copy: z.boolean().optional(),
    height: z.number().int('must be a whole number of pixels').min(72, 'must be at least 72').max(2160, 'must be at most 2160 (4K)').optional(),
    width: z.number().int('must be a whole number of pixels').min(96, 'must be at least 96').max(3840, 'must be at most 3840 (4K)').optional(),
    maxFps: z.number().min(1, 'must be at least 1').max(120, 'must be at most 120').optional(),
    videoKbps: kbps('video bitrate', 100, 50_000).optional(),
    maxrateKbps: kbps('maxrate', 100, 60_000).optional(),
    bufsizeKbps: kbps('bufsize', 50, 200_000).optional(),
    preset: z.enum(PRESETS, { error: `must be one of ${PRESETS.join(', ')}` }).optional(),
    audioKbps: kbps('audio bitrate', 32, 320).optional(),
  })
  .strict();

const ENCODE_ONLY = ['height', 'width', 'maxFps', 'videoKbps', 'maxrateKbps', 'bufsizeKbps', 'preset'] as const;

const baseSchema = z
  .object({
    name: z.string({ error: 'a profile needs a name' }).regex(NAME_PATTERN, MUST_BE_NAME),
    description: z.string().max(200, 'must be at most 200 characters').default(''),
    encoder: z.enum(ENCODER_CHOICES, { error: (iss) => `unknown encoder ${JSON.stringify(iss.input)}: use ${ENCODER_CHOICES.join(', ')}` }).default('auto'),
    keyframes: z
      .union([z.literal('source'), z.number().min(0.5).max(10)], { error: "must be 'source' (follow the publisher's keyframes) or seconds between 0.5 and 10" })
      .default('source'),
    renditions: z.array(renditionSchema).min(1, 'a profile needs at least one rendition').max(6, 'at most 6 renditions (each one costs an encode)'),
  })
  .strict();

type Issue = { path: (string | number)[]; message: string };
type LooseRendition = { [K in keyof z.infer<typeof renditionSchema>]?: unknown };

/**
 * The rules that span fields. Written against the raw input (checking types as
 * it goes) so they also run when a field-level rule failed: every problem is
 * reported at once.
 */
function crossFieldIssues(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const p = (input && typeof input === 'object' ? input : {}) as { renditions?: unknown; keyframes?: unknown };
  const renditions: LooseRendition[] = Array.isArray(p.renditions) ? p.renditions.filter((r) => r && typeof r === 'object') : [];
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const seen = new Map<unknown, number>();
  const copies: number[] = [];
  renditions.forEach((r, i) => {
    const at = (field: string) => ['renditions', i, field];
    if (typeof r.name === 'string') {
      if (seen.has(r.name)) add(at('name'), `duplicate rendition name '${r.name}' (also renditions[${seen.get(r.name)}]): each rendition needs its own URL`);
      else seen.set(r.name, i);
    }
    if (r.copy === true) {
      copies.push(i);
      for (const key of ENCODE_ONLY) {
        if (r[key] !== undefined) add(at(key), `does not apply to a copy rendition (it passes the publisher's video through untouched): remove it or drop 'copy'`);
      }
      return;
    }
    const height = num(r.height);
    const width = num(r.width);
    if (r.height === undefined && r.width !== undefined) add(at('height'), "is required with 'width' (an explicit size is width × height)");
    if (height !== undefined && Number.isInteger(height) && height % 2 !== 0) add(at('height'), `(${height}) must be even: H.264 4:2:0 video needs even sizes`);
    if (width !== undefined && Number.isInteger(width) && width % 2 !== 0) add(at('width'), `(${width}) must be even: H.264 4:2:0 video needs even sizes`);
    const video = num(r.videoKbps);
    const maxrate = num(r.maxrateKbps);
    const bufsize = num(r.bufsizeKbps);
    if (video !== undefined && maxrate !== undefined && maxrate < video) add(at('maxrateKbps'), `(${maxrate}) must not be below 'videoKbps' (${video})`);
    const ceiling = maxrate ?? video;
    if (ceiling !== undefined && bufsize !== undefined && (bufsize < ceiling / 4 || bufsize > ceiling * 10)) {
      add(at('bufsizeKbps'), `(${bufsize}) must hold between 0.25 and 10 seconds of the maxrate (${Math.ceil(ceiling / 4)} to ${ceiling * 10})`);
    }
  });
  if (copies.length > 1) {
    add(['renditions', copies[1], 'copy'], `only one rendition can be 'copy' (renditions[${copies[0]}] already is): two would be identical`);
  }
  if (copies.length > 0 && typeof p.keyframes === 'number') {
    add(['keyframes'], `(${p.keyframes} s) cannot be combined with a copy rendition: its keyframes are the publisher's, so the encoded ones must follow them ('source')`);
  }
  return issues;
}

export const profileSchema = baseSchema.superRefine((p, ctx) => {
  for (const issue of crossFieldIssues(p)) ctx.addIssue({ code: 'custom', ...issue });
});

export type ProfileInput = z.input<typeof profileSchema>;

/** Describes a zod path as the operator wrote it: renditions[1] (360p).height. */
function fieldName(path: PropertyKey[], input: unknown): string {
  let out = '';
  let node: unknown = input;
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const name = (node as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string' && name) out += ` (${name})`;
    } else {
      out += out ? `.${String(key)}` : String(key);
      node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    }
  }
  return out || 'profile';
}

export interface ProfileProblem {
  field: string;
  message: string;
}

/** Every problem with a profile, each naming its field. Empty when valid. */
export function profileProblems(input: unknown): ProfileProblem[] {
  const result = profileSchema.safeParse(input);
  if (result.success) return [];
  const issues: Issue[] = result.error.issues.map((issue) => ({
    path: issue.path as (string | number)[],
    message: issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message,
  }));
  // The field-level rules failed, so the cross-field ones have not run yet: run them on the raw input.
  const fieldLevelFailed = !baseSchema.safeParse(input).success;
  if (fieldLevelFailed) issues.push(...crossFieldIssues(input));
  const order = (i: Issue) => i.path.map((k) => (typeof k === 'number' ? String(k).padStart(4, '0') : k)).join('.');
  return issues
    .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
    .map((i) => ({ field: fieldName(i.path, input), message: i.message }));
}

/** Validates a whole profile; throws LR_PROFILE_INVALID (400) listing every problem, each with its field. */
export function validateProfile(input: unknown): Profile {
  const result = profileSchema.safeParse(input);
  if (result.success) return result.data as Profile;
  const problems = profileProblems(input);
  const text = problems.map((p) => `'${p.field}' ${p.message}`).join('; ');
  throw fail('LR_PROFILE_INVALID', { problems: text });
}
