// run <script> <stage>: feed one job script to bash in the task over SSH and report its exit code.
// Started ~10 times per job, so the success path loads only ssh2 and the state file: the AWS SDK is
// imported lazily, only to explain a failure (why the task stopped). Even ssh2 is loaded only once
// the TCP connection to the task is on its way, so that sshd's start-up overlaps the loading.
import { readFile, writeFile } from "node:fs/promises";
import { DriverError, ScriptFailedError, wrap } from "../errors.js";
import type { SshConnectError } from "../ssh/connect.js";
import { openEarlySocket } from "../ssh/early-socket.js";
import type { ScriptOutcome } from "../ssh/remote-shell.js";
import { readState } from "../state/state-file.js";
import type { JobState } from "../state/types.js";
import type { StageContext } from "./context.js";

// A brief sshd hiccup should not fail a stage; a stopped task should fail it quickly.
const CONNECT_ATTEMPTS = 3;
const CONNECT_WINDOW_MS = 10_000;
// How long the failure path may spend asking ECS why the task went away.
const EXPLAIN_TIMEOUT_MS = 10_000;

/** Runs the script named by args[0] in the job's task; a non-zero exit is a build failure with that code. */
export async function runStage(ctx: StageContext): Promise<void> {
  const [scriptPath, stageName] = ctx.args;
  if (!scriptPath || !stageName) throw new DriverError("usage", "missing required arguments");
  let script: Buffer;
  try {
    script = await readFile(scriptPath);
  } catch (err) {
    throw wrap(`reading the script for stage "${stageName}" from "${scriptPath}"`, err);
  }
  const state = await readState(ctx.config.taskMetadata.directory, ctx.job.id);
  if (!state.address || !state.hostKey) {
    throw new DriverError(
      "state_incomplete",
      `executing the script on the remote host: the task metadata has no address or host key: prepare did not finish for task "${state.taskArn}"`,
    );
  }
  const host = state.address;
  const port = state.port ?? ctx.config.ssh.port;
  const username = state.username ?? ctx.config.ssh.username;
  const onHost = `executing the script on the remote host: executing script on container with IP "${host}"`;
  ctx.log.debug(`Running stage ${stageName} on ${host}:${port}`);
  const early = openEarlySocket(host, port);
  const [{ waitForSsh }, { runRemoteScript }] = await Promise.all([import("../ssh/wait-ready.js"), import("../ssh/remote-shell.js")]);

  let connection;
  try {
    connection = await waitForSsh(
      { host, port, username, privateKey: state.privateKey },
      {
        readyTimeoutMs: Math.min(ctx.config.ssh.readyTimeoutMs, CONNECT_WINDOW_MS),
        connectTimeoutMs: ctx.config.ssh.connectTimeoutMs,
        maxAttempts: CONNECT_ATTEMPTS,
        expectedHostKey: state.hostKey,
        signal: ctx.signal,
        firstSocket: early.take(),
      },
    );
  } catch (err) {
    const connecting = `${onHost}: connecting to server: connecting to server "${host}:${port}" as user "${username}"`;
    const kind = (err as Partial<SshConnectError>).kind;
    const explanation = kind === "host-key" || kind === "auth" || ctx.signal.aborted ? undefined : await explainStop(state);
    throw withExplanation(wrap(connecting, err), explanation);
  }

  let outcome: ScriptOutcome;
  try {
    outcome = await runRemoteScript(connection.client, script, { stdout: ctx.stdout, stderr: ctx.stderr, signal: ctx.signal });
  } catch (err) {
    throw withExplanation(wrap(`${onHost}: starting the remote shell`, err), await explainStop(state));
  } finally {
    connection.client.end();
  }

  switch (outcome.kind) {
    case "exited":
      if (outcome.exitCode === 0) return;
      await recordExitCode(ctx.env, outcome.exitCode);
      throw new ScriptFailedError(outcome.exitCode);
    case "cancelled":
      throw new DriverError("cancelled", `${onHost}: cancelled (SIGTERM): the remote script was terminated`);
    case "signalled":
      throw withExplanation(
        new DriverError("script_killed", `${onHost}: the remote shell was killed by signal ${outcome.signal}`),
        await explainStop(state),
      );
    case "dropped":
      throw withExplanation(
        new DriverError("ssh_session_dropped", `${onHost}: the SSH session ended without an exit status: ${outcome.reason}`),
        // ECS still runs the task: the connection, not the task, went away.
        (await explainStop(state)) ??
          "the task is still running, so the connection was lost: check the network between the runner and the task, and the container's sshd",
      );
  }
}

// The runner reads this file's first line as the job's exit code (allow_failure: exit_codes).
async function recordExitCode(env: NodeJS.ProcessEnv, exitCode: number): Promise<void> {
  const file = env.BUILD_EXIT_CODE_FILE;
  if (!file) return;
  try {
    await writeFile(file, `${exitCode}\n`);
  } catch (err) {
    throw wrap(`writing the script's exit code to BUILD_EXIT_CODE_FILE "${file}"`, err);
  }
}

function withExplanation(err: DriverError, explanation: string | undefined): DriverError {
  if (!explanation) return err;
  return new DriverError(err.code, `${err.message} (${explanation})`, err.failureClass, { cause: err.cause ?? err });
}

// Failure path only: load the AWS code now, ask ECS whether and why the task stopped.
async function explainStop(state: JobState): Promise<string | undefined> {
  let runtime;
  try {
    const { createTaskRuntime } = await import("../aws/task-runtime.js");
    runtime = createTaskRuntime(state.cluster, state.region);
    return await runtime.describeStop(state.taskArn, AbortSignal.timeout(EXPLAIN_TIMEOUT_MS));
  } catch (err) {
    return `could not ask ECS about the task: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    runtime?.close();
  }
}
