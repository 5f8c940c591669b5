// Running one job script over an open SSH connection: the script goes to `bash -s` on stdin
// (scripts can be MiBs, far past the 128 KiB limit of one argument), stdout and stderr are piped
// apart and byte-exact with backpressure, and cancellation ends the whole remote process group.
import { randomBytes } from "node:crypto";
import type { Client, ClientChannel } from "ssh2";

/** How a remote script ended. */
export type ScriptOutcome =
  | { kind: "exited"; exitCode: number }
  | { kind: "signalled"; signal: string }
  | { kind: "dropped"; reason: string } // the session ended without an exit status
  | { kind: "cancelled" };

/** Where output goes and what cancels the script. */
export interface RunScriptOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
  /** How long a cancelled script may take to end before it is killed. */
  graceMs?: number;
}

// The wrapper records the remote shell's pid so a second exec can signal its whole process group
// (a TERM over the channel reaches only the shell, which would wait for its foreground child).
function wrapperCommand(pidFile: string): string {
  return `{ echo $$ > ${pidFile}; } 2>/dev/null; bash -s; rc=$?; rm -f ${pidFile}; exit $rc`;
}

/** The command that signals the recorded process group (or just the pid when it leads no group). */
export function killCommand(pidFile: string, signal: "TERM" | "KILL"): string {
  return (
    `[ -r ${pidFile} ] || exit 0; read -r pid < ${pidFile}; ` +
    `kill -${signal} -- "-$pid" 2>/dev/null || kill -${signal} "$pid" 2>/dev/null; ` +
    (signal === "KILL" ? `rm -f ${pidFile}; ` : "") +
    "exit 0"
  );
}

/**
 * Sends a signal request (RFC 4254 6.9) on a session channel, also after our stdin EOF.
 * ssh2's channel.signal() silently does nothing once the channel is no longer writable, and we
 * always end stdin right after the script, so this reaches its protocol object; returns false when
 * that is not possible (the process-group kill is the fallback then).
 */
export function sendChannelSignal(client: Client, channel: ClientChannel, signal: string): boolean {
  const protocol = (client as unknown as { _protocol?: { signal?: (id: number, name: string) => void } })._protocol;
  const outgoing = (channel as unknown as { outgoing?: { id?: number; state?: string } }).outgoing;
  if (typeof protocol?.signal !== "function" || typeof outgoing?.id !== "number") return false;
  if (outgoing.state !== "open" && outgoing.state !== "eof") return false;
  try {
    protocol.signal(outgoing.id, signal);
    return true;
  } catch {
    return false;
  }
}

function exec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

async function execQuietly(client: Client, command: string, timeoutMs: number): Promise<void> {
  try {
    const channel = await exec(client, command);
    channel.resume();
    channel.stderr.resume();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      channel.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch {
    // The connection may be gone already: the caller's deadline bounds the cancellation anyway.
  }
}

/** Runs `script` with bash on the remote host, streaming its output; resolves with how it ended. */
export async function runRemoteScript(client: Client, script: Buffer, options: RunScriptOptions): Promise<ScriptOutcome> {
  const pidFile = `/tmp/.fargate-driver-${randomBytes(8).toString("hex")}.pid`;
  const channel = await exec(client, wrapperCommand(pidFile));
  const graceMs = options.graceMs ?? 5000;

  return new Promise<ScriptOutcome>((resolve) => {
    let exit: ScriptOutcome | undefined;
    let cancelled = false;
    let connectionError: string | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const settle = (outcome: ScriptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      clearTimeout(deadline);
      options.signal.removeEventListener("abort", onAbort);
      client.removeListener("error", onClientError);
      channel.unpipe(options.stdout);
      channel.stderr.unpipe(options.stderr);
      resolve(outcome);
    };

    const onAbort = () => {
      cancelled = true;
      // Whatever the remote end does (even nothing: a hung connection), cancellation ends in bounded time.
      deadline = setTimeout(() => settle({ kind: "cancelled" }), 2 * graceMs + 3000);
      sendChannelSignal(client, channel, "TERM");
      void execQuietly(client, killCommand(pidFile, "TERM"), graceMs).then(() => {
        if (settled) return;
        killTimer = setTimeout(() => {
          void execQuietly(client, killCommand(pidFile, "KILL"), 2000).finally(() => settle({ kind: "cancelled" }));
        }, graceMs);
      });
    };
    const onClientError = (err: Error) => {
      connectionError = err.message;
    };
    client.on("error", onClientError);

    channel.on("exit", (code: number | null, signalName?: string) => {
      if (typeof code === "number") exit = { kind: "exited", exitCode: code };
      else if (signalName) exit = { kind: "signalled", signal: signalName };
    });
    // A script that exits before reading all of stdin makes our remaining writes fail: not an error.
    channel.on("error", (err: Error) => {
      connectionError ??= err.message;
    });
    // ssh2 closes the channel once stdout is drained, but stderr may still hold buffered output
    // (backpressure): the outcome is final only when both have ended.
    let channelClosed = false;
    let stderrClosed = false;
    const maybeSettle = () => {
      if (!channelClosed || !stderrClosed) return;
      if (cancelled) return settle({ kind: "cancelled" });
      settle(exit ?? { kind: "dropped", reason: connectionError ?? "the channel closed" });
    };
    channel.on("close", () => {
      channelClosed = true;
      maybeSettle();
    });
    channel.stderr.on("close", () => {
      stderrClosed = true;
      maybeSettle();
    });

    channel.pipe(options.stdout, { end: false });
    channel.stderr.pipe(options.stderr, { end: false });
    options.signal.addEventListener("abort", onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    channel.end(script);
  });
}
