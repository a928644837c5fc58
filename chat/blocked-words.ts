/**
 * Blocked words: entries are words or phrases, matched case-insensitively on
 * whole words after Unicode compatibility folding (NFKC), so "ＢＡＤ" and "Bad"
 * both match "bad" but "badminton" does not. A trailing `*` matches any word
 * ending ("spam*" blocks "spammer"). Spaces inside a phrase match any run of
 * spaces.
 */

/** How text and entries are compared. */
export function foldForMatching(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function entryPattern(entry: string): string | undefined {
  const folded = foldForMatching(entry).trim();
  const prefix = folded.endsWith('*');
  const core = (prefix ? folded.slice(0, -1) : folded).trim();
  if (!core) return undefined;
  const body = core.split(/\s+/u).map(escapeRegExp).join('\\s+');
  return prefix ? `${body}[\\p{L}\\p{N}\\p{M}]*` : body;
}

export interface BlockedWordMatcher {
  /** The first blocked entry found in the text, or undefined. */
  find(text: string): string | undefined;
}

export function compileBlockedWords(entries: readonly string[]): BlockedWordMatcher {
  const patterns = entries.map((e) => ({ entry: e, source: entryPattern(e) })).filter((p) => p.source !== undefined);
  if (patterns.length === 0) return { find: () => undefined };
  // One alternation keeps matching linear in the text for long lists; named by index to report which entry hit.
  const re = new RegExp(
    `(?<![\\p{L}\\p{N}\\p{M}])(?:${patterns.map((p, i) => `(?<w${i}>${p.source})`).join('|')})(?![\\p{L}\\p{N}\\p{M}])`,
    'u',
  );
  return {
    find(text) {
      const m = re.exec(foldForMatching(text));
      if (!m?.groups) return undefined;
      const i = Object.keys(m.groups).findIndex((k) => m.groups![k] !== undefined);
      return patterns[i]?.entry;
    },
  };
}

/**
 * A matcher cache keyed by the list's contents: the list is read from the
 * database on each use (cheap, and right across processes) and recompiled only
 * when it changed.
 */
export class BlockedWordsCache {
  private readonly cache = new Map<string, { key: string; matcher: BlockedWordMatcher }>();

  matcher(channel: string, entries: readonly string[]): BlockedWordMatcher {
    const key = entries.join('\u0000');
    const hit = this.cache.get(channel);
    if (hit && hit.key === key) return hit.matcher;
    const matcher = compileBlockedWords(entries);
    this.cache.set(channel, { key, matcher });
    return matcher;
  }
}
