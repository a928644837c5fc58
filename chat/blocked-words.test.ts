import { BlockedWordsCache, compileBlockedWords } from './blocked-words';

describe('blocked words', () => {
  const m = compileBlockedWords(['darn', 'spam*', 'bad  phrase', 'c++', '名前']);

  it('matches whole words, case- and width-insensitively', () => {
    expect(m.find('well DARN it')).toBe('darn');
    expect(m.find('ｄａｒｎ')).toBe('darn'); // full-width folds to ASCII (NFKC)
    expect(m.find('darn.')).toBe('darn');
    expect(m.find('darning socks')).toBeUndefined();
    expect(m.find('undarn')).toBeUndefined();
    expect(m.find('nothing to see')).toBeUndefined();
  });

  it('supports a trailing wildcard, phrases with any spacing, and punctuation', () => {
    expect(m.find('spammers everywhere')).toBe('spam*');
    expect(m.find('a spam')).toBe('spam*');
    expect(m.find('antispam')).toBeUndefined();
    expect(m.find('that is a BAD   phrase')).toBe('bad  phrase');
    expect(m.find('I like c++ a lot')).toBe('c++');
    expect(m.find('この名前は')).toBeUndefined(); // no word boundaries inside CJK text
    expect(m.find('名前')).toBe('名前');
  });

  it('an empty list blocks nothing, and the cache recompiles only on change', () => {
    expect(compileBlockedWords([]).find('anything')).toBeUndefined();
    expect(compileBlockedWords(['*', '  ']).find('anything')).toBeUndefined();
    const cache = new BlockedWordsCache();
    const a = cache.matcher('live', ['x']);
    expect(cache.matcher('live', ['x'])).toBe(a);
    const b = cache.matcher('live', ['x', 'y']);
    expect(b).not.toBe(a);
    expect(b.find('y')).toBe('y');
  });
});
