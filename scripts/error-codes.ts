/**
 * `npm run error-codes`: prints the README's "Troubleshooting / error codes"
 * tables from the two catalogs, the server's (core/error-catalog.ts) and the
 * chat protocol's (chat/chat-events.ts). scripts/error-codes.test.ts keeps the
 * README equal to this output.
 */
import { CHAT_ERROR_CODES, type ChatErrorCode } from '../chat/chat-events';
import { ERROR_CATALOG, type ErrorCode } from '../core/error-catalog';

/** The chat protocol keeps its viewer-facing messages at the call sites; the operator's reading is here. */
const CHAT_HELP: Record<ChatErrorCode, string> = {
  LR_CHAT_BAD_HANDSHAKE: 'The client sent no or a malformed channel, identity or name: reload the page.',
  LR_CHAT_NO_CHANNEL: 'The page names a channel that does not exist.',
  LR_CHAT_BAD_TOKEN: 'A moderator or streamer token that is revoked or for another channel, or the admin token (the chat does not take it): join without it, or `liveroom moderators add <channel> --label NAME` for a new one.',
  LR_CHAT_BANNED: 'The viewer (identity or address) is banned from this channel\'s chat.',
  LR_CHAT_TOO_MANY_CONNECTIONS: 'Too many chat connections from one address in a short time; the client waits and retries.',
  LR_CHAT_TOO_MANY_SOCKETS: "More chat connections open at once from one address than 'chat.maxSocketsPerAddress' (every tab and overlay counts, and so does everyone behind one NAT): close some; the client retries later.",
  LR_CHAT_UNAVAILABLE: 'The chat is restarting or unreachable; the client retries.',
  LR_CHAT_INVALID: 'A payload of the wrong shape (a message, a name, a moderation request).',
  LR_CHAT_EMPTY: 'An empty message.',
  LR_CHAT_TOO_LONG: 'A message or bullet comment over the length limit.',
  LR_CHAT_RATE_LIMITED: 'Messages or requests too fast; `retryAfterMs` says how long to wait.',
  LR_CHAT_SLOW_MODE: 'Slow mode is on for the channel; `retryAfterMs` says how long to wait.',
  LR_CHAT_TIMED_OUT: 'A moderator timed the viewer out; `retryAfterMs` says for how long.',
  LR_CHAT_BLOCKED_WORD: 'The message holds a word the channel blocks; it was not sent.',
  LR_CHAT_READ_ONLY: 'The OBS overlay connection only reads.',
  LR_CHAT_FORBIDDEN: 'A moderation action by someone who may not (or on a moderator, or on oneself).',
  LR_CHAT_NOT_FOUND: 'The message or viewer a moderation action names is not there (any more).',
  LR_CHAT_INTERNAL: 'A bug or unexpected failure in the chat: the server log has the details.',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function errorCodesMarkdown(): string {
  const server = (Object.keys(ERROR_CATALOG) as ErrorCode[]).map((code) => {
    const spec: { status: number; startup?: true; help: string } = ERROR_CATALOG[code];
    return `| \`${code}\` | ${spec.startup ? 'start-up' : spec.status} | ${cell(spec.help)} |`;
  });
  const chat = CHAT_ERROR_CODES.map((code) => `| \`${code}\` | ${cell(CHAT_HELP[code])} |`);
  return [
    'Server errors (HTTP bodies `{ "error": { "code", "message" } }`, the CLI\'s `liveroom: …` lines, start-up failures):',
    '',
    '| Code | HTTP status (or start-up) | Meaning and what to do |',
    '| --- | --- | --- |',
    ...server,
    '',
    'Chat errors (the chat protocol\'s, in acknowledgements `{ ok: false, error: { code, message, retryAfterMs? } }` and connect refusals):',
    '',
    '| Code | Meaning and what to do |',
    '| --- | --- |',
    ...chat,
    '',
  ].join('\n');
}

if (require.main === module) process.stdout.write(errorCodesMarkdown());
