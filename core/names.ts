/**
 * The name rules, each written once. Channel, profile and rendition names
 * share one rule: they appear in URLs (/watch/<channel>, /hls/<channel>/<rendition>/)
 * and in the database, so lowercase ASCII, a letter or digit first, up to 32.
 * Pure: the config schema, the chat's payload schemas, the profile schema and
 * the admin API all take it from here.
 */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** The rule in words, for messages: "'name' must be " + NAME_RULE. */
export const NAME_RULE = 'lowercase letters, digits, _ and -, starting with a letter or digit, up to 32';

export const isName = (value: unknown): value is string => typeof value === 'string' && NAME_PATTERN.test(value);

/** A stream key's label: only for telling keys apart. */
export const KEY_LABEL_PATTERN = /^[\w .:-]{1,64}$/;
export const KEY_LABEL_RULE = '1 to 64 letters, digits, spaces, _ . : or -';

/** A channel's title, shown on the watch page. */
export const TITLE_MAX_LENGTH = 120;

/** A channel's description, shown below the video and in link previews (Open Graph). */
export const DESCRIPTION_MAX_LENGTH = 1000;

/** What the watch page says while the channel is offline. */
export const OFFLINE_MESSAGE_MAX_LENGTH = 280;
