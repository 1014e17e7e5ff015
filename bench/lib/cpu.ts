// How much of the machine's CPU went to processes outside the bench during a run (Linux /proc):
// the machine's busy time minus the CPU time of this process and all its descendants. A run
// during which other work took a noticeable share is flagged, since on 2 cores it skews everything.
import { readdirSync, readFileSync } from "node:fs";

export interface CpuSnapshot {
  /** Clock ticks, all CPUs. */
  total: number;
  busy: number;
  /** Clock ticks of this process tree (user + system, all threads). */
  ours: number;
}

function procTimes(pid: string): { ppid: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); ppid is field 4, utime 14, stime 15, and cutime 16 and
    // cstime 17 (children that have exited and been waited for, e.g. a finished baseline).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { ppid: Number(fields[1]), ticks };
  } catch {
    return undefined;
  }
}

/** Clock ticks (user + system) one process has used so far; undefined once it is gone. */
export function processTicks(pid: number): number | undefined {
  return procTimes(String(pid))?.ticks;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const busy = total - (f[3] ?? 0) - (f[4] ?? 0);
    const children = new Map<number, number[]>();
    const ticks = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const t = procTimes(entry);
      if (!t) continue;
      const pid = Number(entry);
      ticks.set(pid, t.ticks);
      const list = children.get(t.ppid);
      if (list) list.push(pid);
      else children.set(t.ppid, [pid]);
    }
    let ours = 0;
    const stack = [process.pid];
    for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
      ours += ticks.get(pid) ?? 0;
      stack.push(...(children.get(pid) ?? []));
    }
    return { total, busy, ours };
  } catch {
    return undefined;
  }
}

/**
 * Share (0..1) of the machine's CPU capacity used by processes outside the bench between two
 * snapshots. Approximate: a descendant that exits in between is counted as ours only once its
 * parent has waited for it (Node does so at once).
 */
export function otherCpuShare(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  const other = b.busy - a.busy - (b.ours - a.ours);
  return Math.min(1, Math.max(0, other / (b.total - a.total)));
}

/**
 * Clock ticks used so far by the processes whose command name is one of `names` (e.g.
 * `redis-server`, `postgres`): the servers a target talks to, which run outside the bench's process
 * tree and so count as "other CPU". Processes that exit between two readings are missed.
 */
export function commandTicks(names: readonly string[]): number {
  let sum = 0;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        if (!names.includes(command)) continue;
        // utime and stime only: a server's parent (the postmaster) also reaps other clients' backends.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        sum += Number(fields[11]) + Number(fields[12]);
      } catch {
        // gone
      }
    }
  } catch {
    return Number.NaN;
  }
  return sum;
}
