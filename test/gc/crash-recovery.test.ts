// SIGKILL of the driver (no chance to clean up) at each point of prepare and in the middle of run:
// the runner still calls cleanup, which must stop the task from the state file and leave the
// metadata directory empty. The real CLI as separate processes against the emulator.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sshKindSkip, tempDir } from "../driver/stages-e2e-support.js";
import {
  readStateJson,
  runCli,
  runnerEnv,
  stateDirEntries,
  stateFile,
  taskState,
  waitFor,
  writeConfig,
} from "./gc-support.js";
import { processRunning } from "../support/processes.js";

const TOKEN = "crashTok1";

/** Runs cleanup for the job and checks the task is stopped by it and the state directory is empty. */
async function cleanupStopsTask(emulator: EmulatorHandle, dir: string, config: string, jobId: string, arn: string): Promise<void> {
  const cleanup = await runCli(["--config", config, "custom", "cleanup"], runnerEnv(emulator, dir, TOKEN, jobId), dir);
  assert.equal(cleanup.code, 0, cleanup.stderr);
  const task = await taskState(emulator, arn);
  assert.equal(task.desiredStatus, "STOPPED");
  assert.match(task.stoppedReason ?? "", new RegExp(`^Job ${jobId} finished`));
  assert.deepEqual(stateDirEntries(dir), []);
}

describe("crash recovery: SIGKILL before the task is RUNNING", { skip: await sshKindSkip("embedded") }, () => {
  // Time scale 0.25: a task spends 2 s PROVISIONING and 6 s PENDING, far more than it takes to
  // kill the driver, so the kill lands where the test says without any timing assertion.
  let emulator: EmulatorHandle;
  const dir = tempDir("fargate-crash-slow-");
  const config = writeConfig(dir);
  before(async () => {
    emulator = await startEmulator({ timeScale: 0.25 });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("right after RunTask returned (the state file holds only the ARN): cleanup stops the task", async () => {
    const jobId = "7101";
    const path = stateFile(dir, TOKEN, jobId);
    const prepare = runCli(["--config", config, "custom", "prepare"], runnerEnv(emulator, dir, TOKEN, jobId), dir, {
      onStart: (pid) => {
        void waitFor("the state file", () => existsSync(path)).then(() => process.kill(pid, "SIGKILL"));
      },
    });
    const result = await prepare;
    assert.equal(result.signal, "SIGKILL", result.stderr);
    const state = readStateJson(path);
    assert.equal(state.address, undefined, "killed before the task was reachable");
    assert.notEqual((await taskState(emulator, state.taskArn)).lastStatus, "RUNNING");
    assert.equal((await taskState(emulator, state.taskArn)).desiredStatus, "RUNNING", "nothing stopped it yet");
    await cleanupStopsTask(emulator, dir, config, jobId, state.taskArn);
  });

  it("while waiting for RUNNING: cleanup stops the task", async () => {
    const jobId = "7102";
    const result = await runCli(["--config", config, "custom", "prepare"], runnerEnv(emulator, dir, TOKEN, jobId), dir, {
      onStderr: (text, pid) => {
        if (/ is PENDING /.test(text)) process.kill(pid, "SIGKILL");
      },
    });
    assert.equal(result.signal, "SIGKILL", result.stderr);
    assert.match(result.stderr, / is PENDING /);
    const state = readStateJson(stateFile(dir, TOKEN, jobId));
    assert.equal(state.address, undefined);
    const task = await taskState(emulator, state.taskArn);
    assert.notEqual(task.lastStatus, "RUNNING");
    assert.equal(task.desiredStatus, "RUNNING");
    await cleanupStopsTask(emulator, dir, config, jobId, state.taskArn);
  });
});

describe("crash recovery: SIGKILL once the task runs", { skip: await sshKindSkip("embedded") }, () => {
  let emulator: EmulatorHandle;
  const dir = tempDir("fargate-crash-fast-");
  const config = writeConfig(dir);
  before(async () => {
    emulator = await startEmulator({ timeScale: 0.02 });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("while waiting for SSH: cleanup stops the task", async () => {
    // The SSH server comes up a minute after RUNNING: prepare is surely still waiting for it.
    await emulator.addFaults([{ ssh: "startDelayMs", value: 60_000, times: 1 }]);
    const jobId = "7201";
    const result = await runCli(["--config", config, "custom", "prepare"], runnerEnv(emulator, dir, TOKEN, jobId), dir, {
      onStderr: (text, pid) => {
        if (/ is RUNNING /.test(text)) process.kill(pid, "SIGKILL");
      },
    });
    assert.equal(result.signal, "SIGKILL", result.stderr);
    const state = readStateJson(stateFile(dir, TOKEN, jobId));
    assert.equal(state.address, undefined, "SSH was never ready, so the state was never completed");
    const task = (await emulator.tasks()).find((t) => t.taskArn === state.taskArn);
    assert.equal(task?.lastStatus, "RUNNING");
    assert.equal(task?.sshRunning, false);
    await cleanupStopsTask(emulator, dir, config, jobId, state.taskArn);
  });

  it("in the middle of run's script: cleanup stops the task and the script with it", async () => {
    const jobId = "7202";
    const env = runnerEnv(emulator, dir, TOKEN, jobId);
    const prepare = await runCli(["--config", config, "custom", "prepare"], env, dir);
    assert.equal(prepare.code, 0, prepare.stderr);
    const state = readStateJson(stateFile(dir, TOKEN, jobId));
    assert.ok(state.address);

    const marker = `${Math.floor(Math.random() * 800) + 100}.${Date.now() % 10000}`;
    const script = join(dir, "long.sh");
    writeFileSync(script, `echo started\nsleep ${marker}\necho late\n`, { mode: 0o700 });
    const run = await runCli(["--config", config, "custom", "run", script, "build_script"], env, dir, {
      onStdout: (text, pid) => {
        if (text.includes("started")) void waitFor("the remote sleep", () => processRunning(["sleep", marker])).then(() => process.kill(pid, "SIGKILL"));
      },
    });
    assert.equal(run.signal, "SIGKILL", run.stderr);
    assert.equal(run.stdout, "started\n");
    assert.equal((await taskState(emulator, state.taskArn)).desiredStatus, "RUNNING");

    await cleanupStopsTask(emulator, dir, config, jobId, state.taskArn);
    await waitFor("the remote script to end with its task", () => !processRunning(["sleep", marker]));
  });

  it("a second cleanup after a crash-recovering one is harmless", async () => {
    const again = await runCli(["--config", config, "custom", "cleanup"], runnerEnv(emulator, dir, TOKEN, "7202"), dir);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(stateDirEntries(dir), []);
  });
});

