import fs from 'node:fs';
import os from 'node:os';

/** Linux USER_HZ; 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

function readStat(pid: number): { ppid: number; cpuSeconds: number; comm: string } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // After "pid (comm) ": state ppid pgrp ... utime(14th overall → index 11) stime(index 12)
    return { ppid: Number(f[1]), cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND, comm };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by each process in the trees rooted at `roots`, keyed "label:comm". */
export function cpuSecondsByTree(roots: Record<string, number | undefined>): Record<string, number> {
  const all = new Map<number, { ppid: number; cpuSeconds: number; comm: string }>();
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return {};
  }
  for (const d of pids) {
    const st = readStat(Number(d));
    if (st) all.set(Number(d), st);
  }
  const out: Record<string, number> = {};
  for (const [label, root] of Object.entries(roots)) {
    if (root === undefined) continue;
    const stack = [root];
    while (stack.length) {
      const pid = stack.pop()!;
      const st = all.get(pid);
      if (!st) continue;
      const key = `${label}:${st.comm}`;
      out[key] = (out[key] ?? 0) + st.cpuSeconds;
      for (const [child, cst] of all) if (cst.ppid === pid) stack.push(child);
    }
  }
  return out;
}

/** Whole-machine busy fraction between two os.cpus() snapshots. */
export function machineBusy(before: os.CpuInfo[], after: os.CpuInfo[]): number {
  let busy = 0;
  let total = 0;
  after.forEach((cpu, i) => {
    const a = before[i]?.times;
    if (!a) return;
    const t = cpu.times;
    const dIdle = t.idle - a.idle;
    const dTotal = t.user + t.nice + t.sys + t.irq + t.idle - (a.user + a.nice + a.sys + a.irq + a.idle);
    busy += dTotal - dIdle;
    total += dTotal;
  });
  return total > 0 ? busy / total : NaN;
}

/** Direct children of `ppid` whose command name matches. */
export function childPids(ppid: number, comm: RegExp): number[] {
  const out: number[] = [];
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of pids) {
    const st = readStat(Number(d));
    if (st && st.ppid === ppid && comm.test(st.comm)) out.push(Number(d));
  }
  return out;
}
