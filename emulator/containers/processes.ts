// Finding and ending every process of one task. A task's processes are all started with the
// marker FARGATE_EMULATOR_TASK=<taskId> in their environment, which children inherit, so a scan of
// /proc/*/environ finds even those that left their process group (setsid, nohup, double fork).
// Process groups the runtime started are tracked too, to catch members that cleared their env.
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** The environment variable that marks every process of a task. */
export const TASK_MARKER_VARIABLE = "FARGATE_EMULATOR_TASK";

const POLL_MS = 50;
// After SIGKILL a process normally vanishes at once; this only bounds waiting on a stuck one.
const KILL_WAIT_MS = 5000;

/** What /proc/<pid>/stat says about a process that matters here. */
interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  /** Start time in clock ticks since boot: tells a process from a later one that reused its pid. */
  startTime: string;
}

function readStat(pid: number): ProcessInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined; // gone, or never was
  }
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] };
}

function listPids(): number[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
}

function environHas(pid: number, entry: Buffer): boolean {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false; // gone, or a kernel thread
  }
  for (let at = environ.indexOf(entry); at !== -1; at = environ.indexOf(entry, at + 1)) {
    const startsEntry = at === 0 || environ[at - 1] === 0;
    const endsEntry = at + entry.length === environ.length || environ[at + entry.length] === 0;
    if (startsEntry && endsEntry) return true;
  }
  return false;
}

// The emulator and whatever started it must survive even if they carry a marker themselves
// (an emulator run from inside an emulated task's session would).
function protectedPids(): Set<number> {
  const pids = new Set<number>();
  for (let pid: number | undefined = process.pid; pid && pid > 1 && !pids.has(pid); pid = readStat(pid)?.ppid) {
    pids.add(pid);
  }
  pids.add(1);
  return pids;
}

function isAlive(info: ProcessInfo | undefined): info is ProcessInfo {
  // A zombie has already ended; only its parent's wait() is missing, which may never come.
  return info !== undefined && info.state !== "Z" && info.state !== "X";
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it ended between the scan and now, which is what we want anyway.
  }
}

/** Every process of one task: finds them, signals them, waits for them to end. */
export class TaskProcesses {
  /** The env entry to start every task process with, e.g. "FARGATE_EMULATOR_TASK=abc". */
  readonly markerEntry: string;
  private readonly marker: Buffer;
  private readonly groups = new Map<number, string>(); // leader pid -> leader start time
  // Processes known to be the task's (pid -> start time): tracked roots, and everything found
  // once, so an sshd child still counts after its parent died and it was reparented.
  private readonly known = new Map<number, string>();
  // When terminate() SIGKILLs what is left (epoch ms); only ever moves earlier.
  private killDeadline = Infinity;

  constructor(readonly taskId: string) {
    this.markerEntry = `${TASK_MARKER_VARIABLE}=${taskId}`;
    this.marker = Buffer.from(this.markerEntry);
  }

  /** Remembers a process group the runtime started (the leader's pid is the group id). */
  trackGroup(leaderPid: number): void {
    const info = readStat(leaderPid);
    if (info) this.groups.set(leaderPid, info.startTime);
  }

  /**
   * Remembers a process (and so its descendants) as the task's even without a readable marker:
   * sshd overwrites its environ with its process title.
   */
  trackProcess(pid: number): void {
    const info = readStat(pid);
    if (info) this.known.set(pid, info.startTime);
  }

  /** The task's live processes right now, never the emulator itself or its ancestors. */
  find(): ProcessInfo[] {
    const spared = protectedPids();
    const live = listPids()
      .filter((pid) => !spared.has(pid))
      .map(readStat)
      .filter(isAlive);
    const members = new Map<number, ProcessInfo>();
    for (const info of live) {
      if (this.known.get(info.pid) === info.startTime || environHas(info.pid, this.marker)) members.set(info.pid, info);
    }
    // A tracked group id counts only while the group is provably ours: its leader is the very
    // process we started, or a member is ours. Otherwise the id may have been reused.
    const ownedGroups = new Set([...members.values()].map((info) => info.pgid));
    for (const [leader, startTime] of this.groups) {
      const info = live.find((p) => p.pid === leader);
      if (info?.startTime === startTime) ownedGroups.add(leader);
      else if (!ownedGroups.has(leader)) this.groups.delete(leader);
    }
    for (const info of live) {
      if (this.groups.has(info.pgid) && ownedGroups.has(info.pgid)) members.set(info.pid, info);
    }
    // Descendants of the task's processes are the task's, whatever their environment.
    for (let grew = true; grew; ) {
      grew = false;
      for (const info of live) {
        if (!members.has(info.pid) && members.has(info.ppid)) {
          members.set(info.pid, info);
          grew = true;
        }
      }
    }
    this.known.clear(); // the dead need no remembering, and their pids may be reused
    for (const info of members.values()) this.known.set(info.pid, info.startTime);
    return [...members.values()];
  }

  /**
   * SIGTERM every process of the task (including ones that appear meanwhile), wait for them to
   * end, SIGKILL what is left after timeoutMs (or sooner, see hurry). Reports whether SIGKILL was needed.
   */
  async terminate(timeoutMs: number): Promise<{ killed: boolean }> {
    this.killDeadline = Math.min(this.killDeadline, Date.now() + Math.max(0, timeoutMs));
    const termed = new Set<string>();
    while (true) {
      const remaining = this.find();
      if (remaining.length === 0) return { killed: false };
      if (Date.now() >= this.killDeadline) break;
      for (const info of remaining) {
        const identity = `${info.pid}:${info.startTime}`;
        if (!termed.has(identity)) sendSignal(info.pid, "SIGTERM");
        termed.add(identity);
      }
      await sleep(POLL_MS);
    }
    await this.killAll();
    return { killed: true };
  }

  /** Brings a running (or later) terminate()'s SIGKILL forward to at most timeoutMs from now. */
  hurry(timeoutMs: number): void {
    this.killDeadline = Math.min(this.killDeadline, Date.now() + Math.max(0, timeoutMs));
  }

  /** SIGKILL every process of the task and wait (bounded) until they are gone. */
  async killAll(): Promise<void> {
    const deadline = Date.now() + KILL_WAIT_MS;
    while (Date.now() < deadline) {
      const remaining = this.find();
      if (remaining.length === 0) return;
      for (const info of remaining) sendSignal(info.pid, "SIGKILL");
      await sleep(POLL_MS);
    }
  }
}
