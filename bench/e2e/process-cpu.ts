import { readdirSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux unless built otherwise). */
const TICKS_PER_SECOND = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** The command name (proc(5) field 2, at most 15 characters). */
  readonly command: string;
  /** User + system CPU of the process itself, in ms. */
  readonly cpuMs: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or not ours to read
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields count from after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (proc(5) fields 14 and 15)
  return { pid, ppid, command: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

const allStats = () =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined);

/** CPU time (ms) used so far by every live process named `command` (e.g. PostgreSQL's backends, all named postgres). */
export function commandCpuMs(command: string): number {
  return allStats()
    .filter((stat) => stat.command === command)
    .reduce((sum, stat) => sum + stat.cpuMs, 0);
}

/** The whole machine's CPU time so far, busy and in all (ms summed over cores), from /proc/stat's first line. */
export function machineCpuMs(): { busyMs: number; totalMs: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / TICKS_PER_SECOND, totalMs: (total * 1000) / TICKS_PER_SECOND };
}

/**
 * CPU time (user + system, ms) used so far by the processes `roots` and every live descendant
 * of theirs, read from /proc (Linux only). A benchmark takes it before and after a window.
 */
export function treeCpuMs(roots: readonly number[]): number {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = 0;
  const visit = (pid: number) => {
    const stat = stats.find((s) => s.pid === pid);
    if (stat) total += stat.cpuMs;
    for (const child of children.get(pid) ?? []) visit(child.pid);
  };
  for (const root of roots) visit(root);
  return total;
}

/**
 * Connections the kernel has dropped so far because a listener's accept queue was full
 * (TcpExt ListenOverflows in /proc/net/netstat, the whole machine): a dropped SYN is sent again
 * after 1 s, then 3 s, so it shows as acknowledgements taking seconds.
 */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
  const names = lines[header]?.split(/\s+/) ?? [];
  const values = lines[header + 1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? 0);
}
