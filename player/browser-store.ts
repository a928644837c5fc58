/**
 * localStorage / sessionStorage that never throws: storage can be disabled
 * (privacy modes, sandboxed frames, full quota). Then values live in memory
 * for this page only.
 */
export class BrowserStore {
  private readonly memory = new Map<string, string>();

  constructor(private readonly storage: () => Storage) {}

  static local(): BrowserStore {
    return new BrowserStore(() => window.localStorage);
  }

  static session(): BrowserStore {
    return new BrowserStore(() => window.sessionStorage);
  }

  get(key: string): string | null {
    try {
      const value = this.storage().getItem(key);
      if (value !== null) return value;
    } catch {
      /* storage unavailable */
    }
    return this.memory.get(key) ?? null;
  }

  set(key: string, value: string): void {
    this.memory.set(key, value);
    try {
      this.storage().setItem(key, value);
    } catch {
      /* kept in memory */
    }
  }

  remove(key: string): void {
    this.memory.delete(key);
    try {
      this.storage().removeItem(key);
    } catch {
      /* nothing to do */
    }
  }
}
