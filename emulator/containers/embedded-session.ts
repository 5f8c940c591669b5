// One SSH session channel of the embedded runtime: exec and shell requests become local bash
// processes, each in its own process group so signals and hang-ups reach the whole job.
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import type { Session, ServerChannel } from "ssh2";
import type { TaskProcesses } from "./processes.js";
import { SESSION_SHELL, sessionEnv, type PasswdUser } from "./session-env.js";

/** What a session needs from its task and connection. */
export interface SessionContext {
  user: PasswdUser;
  workDir: string;
  processes: TaskProcesses;
  /** False once the task is stopping: no new commands then. */
  accepting: () => boolean;
  /** Registers a hang-up for when the connection drops; returns the unregister function. */
  onHangup: (hangup: () => void) => () => void;
  /** Told of each command's end (after its exit status went out), so stop() can wait for it. */
  onCommand: (reported: Promise<void>) => void;
}

/** Serves the requests of one session channel. */
export function serveSession(session: Session, context: SessionContext): void {
  let child: ChildProcess | undefined;
  // Without a pty there is no terminal to set up; accepting keeps clients that ask for one happy.
  session.on("pty", (accept) => accept?.());
  session.on("window-change", (accept) => accept?.());
  // Like our sshd config (no AcceptEnv): client-sent variables are not passed on.
  session.on("env", (_accept, reject) => reject?.());
  // ssh2 marks a session as ending on the client's EOF and then drops every request on it, but a
  // client may well signal a command after closing its stdin (RFC 4254 allows it; `bash -s`
  // scripts are fed that way). Undo the mark; ssh2 sets it again when the channel closes.
  session.on("eof", () => Reflect.set(session, "_ending", false));
  session.on("signal", (accept, reject, info) => {
    const signal = toNodeSignal(info.name);
    const running = child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
    if (!running || !child?.pid || !signal) return reject?.();
    signalGroup(child.pid, signal);
    accept?.();
  });
  const start = (accept: () => ServerChannel, reject: () => void, args: string[]): void => {
    if (child || !context.accepting()) return reject();
    child = runCommand(accept(), args, context);
  };
  session.on("exec", (accept, reject, info) => start(accept, reject, ["-c", info.command]));
  session.on("shell", (accept, reject) => start(accept, reject, []));
}

function runCommand(stream: ServerChannel, args: string[], context: SessionContext): ChildProcess {
  const child = spawn(SESSION_SHELL, args, {
    cwd: context.workDir,
    env: sessionEnv(context.user, context.processes.markerEntry),
    detached: true, // own process group: signals and hang-ups go to the whole job
    stdio: "pipe",
  });
  if (child.pid) context.processes.trackGroup(child.pid);
  let running = true;
  const hangup = (): void => {
    if (running && child.pid) signalGroup(child.pid, "SIGHUP");
  };
  const unregister = context.onHangup(hangup);
  // The client closing the channel early is a hang-up too (nobody reads the output any more).
  stream.on("close", hangup);

  stream.pipe(child.stdin); // the client's EOF ends bash's stdin, so `bash -s` scripts finish
  child.stdin.on("error", () => undefined); // EPIPE: the command did not read all its input
  child.stdout.pipe(stream, { end: false });
  child.stderr.pipe(stream.stderr, { end: false });

  let finished = false;
  let reported: () => void = () => undefined;
  context.onCommand(new Promise((resolve) => (reported = resolve)));
  const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (finished) return;
    finished = true;
    running = false;
    unregister();
    void flushed(stream).then(() => {
      reportExit(stream, code, signal);
      stream.end();
      reported();
    });
  };
  child.on("error", (error) => {
    stream.stderr.write(`${SESSION_SHELL}: ${error.message}\n`);
    finish(127, null);
  });
  // "close", not "exit": it comes after stdout and stderr are fully read, like sshd, which
  // waits for EOF on the output before closing the channel.
  child.on("close", finish);
  return child;
}

function reportExit(stream: ServerChannel, code: number | null, signal: NodeJS.Signals | null): void {
  if (signal) {
    try {
      stream.exit(signal.slice(3), false, "");
      return;
    } catch {
      // ssh2 knows only the RFC 4254 signal names; report others the way a shell would
      stream.exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
  }
  stream.exit(code ?? 255);
}

// Resolves once everything written so far has gone out (or the channel is gone), so the exit
// status never overtakes output still waiting for window space.
function flushed(stream: ServerChannel): Promise<void> {
  const drained = (writable: NodeJS.WritableStream): Promise<void> =>
    new Promise((resolve) => {
      writable.write(Buffer.alloc(0), () => resolve());
      stream.once("close", () => resolve());
    });
  return Promise.all([drained(stream), drained(stream.stderr)]).then(() => undefined);
}

function toNodeSignal(name: string): NodeJS.Signals | undefined {
  const signal = `SIG${name.toUpperCase().replace(/^SIG/, "")}`;
  return signal in constants.signals ? (signal as NodeJS.Signals) : undefined;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}
