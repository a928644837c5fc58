/** What the chat bench reads about processes on Linux: open-files limits, CPU times, memory (/proc). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Soft and hard RLIMIT_NOFILE of this process (Linux), or null. */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3).map((v) => (v === 'unlimited' ? Infinity : Number(v)));
    return Number.isFinite(soft) || soft === Infinity ? { soft, hard } : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure this process (and so what it spawns) may open `need` files: raises the soft
 * limit up to the hard one with prlimit(1) when needed; throws with what to do otherwise.
 */
export function ensureOpenFiles(need: number, log: (l: string) => void): number | null {
  const limit = openFilesLimit();
  if (!limit) return null;
  if (limit.soft >= need) return limit.soft;
  if (limit.hard >= need) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit.hard}:${limit.hard}`], { stdio: 'ignore' });
      const raised = openFilesLimit();
      if (raised && raised.soft >= need) {
        log(`raised the open-files limit from ${limit.soft} to ${raised.soft}`);
        return raised.soft;
      }
    } catch {
      /* fall through */
    }
  }
  throw new Error(`the bench needs about ${need} open files per process; the limit is ${limit.soft} (hard ${limit.hard}): run \`ulimit -n ${need}\` first, or lower --steps`);
}

/** User and system CPU seconds of a process so far (Linux /proc; USER_HZ 100). */
export function cpuTimes(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: 0, system: 0 };
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / 100, system: Number(f[12]) / 100 };
  } catch {
    return { user: 0, system: 0 };
  }
}

export function cpuSum(pids: Array<number | undefined>): { user: number; system: number } {
  return pids.map(cpuTimes).reduce((a, b) => ({ user: a.user + b.user, system: a.system + b.system }), { user: 0, system: 0 });
}

export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process's live threads have run so far, in nanoseconds' resolution (/proc/<pid>/task/<tid>/schedstat),
 * where /proc/<pid>/stat counts 10 ms ticks: what a short idle window of a few thousand clients needs. Falls back to
 * cpuTimes() when schedstat is not there.
 */
export function cpuSecondsPrecise(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* the thread ended */
      }
    }
    return ns / 1e9;
  } catch {
    const t = cpuTimes(pid);
    return t.user + t.system;
  }
}
