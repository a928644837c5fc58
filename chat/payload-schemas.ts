import { z } from 'zod';
import { NAME_PATTERN } from '../core/names';
import {
  DANMAKU_COLORS,
  DANMAKU_MODES,
  IDENTITY_PATTERN,
  MESSAGE_KINDS,
  NAME_MAX_LENGTH,
  type ModerationRequest,
} from './chat-events';

/**
 * zod schemas for everything a client sends. Every payload is parsed here
 * before any handler looks at it; anything else is answered with
 * LR_CHAT_INVALID (or dropped when there is no ack to answer).
 */

/** Characters that reorder or hide text: bidi embeddings/overrides/isolates, zero-width space, word joiners, BOM. */
const INVISIBLE = /[\u200B\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;
const CONTROL = /\p{Cc}/u;
const LINE_BREAKS = /[\r\n\t\u2028\u2029\u0085]+/gu;

/** Length in characters (code points), as a viewer counts them. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Message text as stored: NFC, line breaks as spaces, control and invisible formatting characters removed, trimmed. */
export function cleanText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(LINE_BREAKS, ' ')
    .replace(/\p{Cc}/gu, '')
    .replace(INVISIBLE, '')
    .trim();
}

export const nameSchema = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => s.length > 0 && charLength(s) <= NAME_MAX_LENGTH, { message: `a name has 1 to ${NAME_MAX_LENGTH} characters` })
  .refine((s) => !CONTROL.test(s) && !new RegExp(INVISIBLE.source, 'u').test(s) && !/[\u2028\u2029\u0085]/u.test(s), {
    message: 'a name may not contain control or invisible formatting characters',
  });

export const channelNameSchema = z.string().regex(NAME_PATTERN, 'not a channel name');

export const handshakeSchema = z.object({
  channel: channelNameSchema,
  identity: z.string().regex(IDENTITY_PATTERN, 'identity must be 16 to 64 of A-Z a-z 0-9 _ -'),
  name: nameSchema,
  token: z.string().min(1).max(256).optional(),
  overlay: z.boolean().optional(),
  batch: z.boolean().optional(),
});
export type Handshake = z.infer<typeof handshakeSchema>;

export const sendSchema = z
  .object({
    text: z.string(),
    kind: z.enum(MESSAGE_KINDS).default('chat'),
    mode: z.enum(DANMAKU_MODES).optional(),
    color: z.enum(DANMAKU_COLORS).optional(),
  })
  .strict();

/** Taps in one like event: a client batches its taps for a moment and sends the count. */
export const likeTapsSchema = z.number().int().min(1).max(20);

/** Public author ids are hex digests (see userIdFor). */
const userId = z.string().regex(/^[0-9a-f]{16,64}$/, 'not a user id');
const reason = z.string().max(200).optional();
const word = z
  .string()
  .transform((s) => s.normalize('NFKC').trim().toLowerCase())
  .refine((s) => s.length > 0 && charLength(s) <= 64 && !CONTROL.test(s), { message: 'a blocked word has 1 to 64 characters' });

export const moderationSchema: z.ZodType<ModerationRequest> = z.discriminatedUnion('action', [
  z.object({ action: z.literal('delete'), messageId: z.string().min(1).max(64) }).strict(),
  z
    .object({ action: z.literal('timeout'), userId, seconds: z.number().int().min(1).max(14 * 86_400), reason })
    .strict(),
  z.object({ action: z.literal('ban'), userId, reason }).strict(),
  z.object({ action: z.literal('unban'), userId }).strict(),
  z.object({ action: z.literal('slow-mode'), seconds: z.number().int().min(0).max(86_400) }).strict(),
  z.object({ action: z.literal('block-word'), word }).strict(),
  z.object({ action: z.literal('unblock-word'), word }).strict(),
  z.object({ action: z.literal('list-blocked-words') }).strict(),
]) as z.ZodType<ModerationRequest>;

/** The first issue of a failed parse, as one line for an error message. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}
