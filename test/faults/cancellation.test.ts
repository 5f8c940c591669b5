// Fault matrix, cancellation: SIGTERM (GitLab cancelling the job) at each moment of prepare and in
// the middle of a script ends the stage promptly as a system failure, stops the task (or leaves it
// on record for cleanup), kills the remote script's processes, and after cleanup nothing runs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, assertStateDirEmpty, assertSystemFailure, type CliResult, FaultCase, processRunning, sshKindSkip, waitFor } from "./support.js";

// Generous: "promptly" means seconds, not the 30 s the CLI waits before forcing its exit.
const PROMPT_MS = 15_000;

/** Runs a stage and sends SIGTERM once its stderr matches `when`; returns the result and how long the exit took. */
async function cancelWhen(c: FaultCase, stage: string[], when: RegExp): Promise<CliResult & { signalledAfterMs: number }> {
  let signalled = 0;
  const result = await c.cli(stage, {
    onStderr: (text, pid) => {
      if (!signalled && when.test(text)) {
        signalled = Date.now();
        process.kill(pid, "SIGTERM");
      }
    },
  });
  assert.ok(signalled, `never saw ${when} in:\n${result.stderr}`);
  return { ...result, signalledAfterMs: Date.now() - signalled };
}

for (const ssh of ["embedded", "openssh"] as const) {
  describe(`cancellation (${ssh} sshd)`, { skip: await sshKindSkip(ssh), concurrency: true }, () => {
    let emulator: EmulatorHandle;
    before(async () => {
      // Slow enough that "while waiting for RUNNING" is a window of seconds, not milliseconds.
      emulator = await startEmulator({ ssh, timeScale: 0.1 });
    });
    after(async () => {
      await emulator?.stop();
    });

    it("SIGTERM while waiting for RUNNING stops the task", async () => {
      const c = new FaultCase(emulator, "cancel-pending");
      const prepare = await cancelWhen(c, ["prepare"], /Task \S+ is (PROVISIONING|PENDING)/);
      assertSystemFailure(prepare, /^ERROR: waiting Fargate task to be ready: cancelled while the task was \w+ \(job cancelled: SIGTERM\); the task was stopped$/);
      assert.ok(prepare.signalledAfterMs < PROMPT_MS, `took ${prepare.signalledAfterMs} ms`);
      const [task] = await c.tasks();
      assert.equal(task?.desiredStatus, "STOPPED");
      assert.match(task?.stoppedReason ?? "", new RegExp(`^Job ${c.jobId} cancelled during prepare`));
      const key = c.recordedKey();
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });

    it("SIGTERM while waiting for SSH stops the task", async () => {
      const c = new FaultCase(emulator, "cancel-ssh");
      await emulator.addFaults([{ ssh: "startDelayMs", value: 120_000, startedBy: c.startedBy }]);
      const prepare = await cancelWhen(c, ["prepare"], /Task \S+ is RUNNING/);
      assertSystemFailure(prepare, /^ERROR: waiting for the task's SSH server: .*: cancelled while waiting for SSH \(job cancelled: SIGTERM\); the task was stopped$/);
      assert.ok(prepare.signalledAfterMs < PROMPT_MS, `took ${prepare.signalledAfterMs} ms`);
      const [task] = await c.tasks();
      assert.equal(task?.desiredStatus, "STOPPED");
      await c.cleanupAndCheck();
    });

    it("SIGTERM mid-script kills the remote script and its children; cleanup stops the task", async () => {
      const c = new FaultCase(emulator, "cancel-run");
      const prepare = await c.cli(["prepare"]);
      assert.equal(prepare.code, 0, prepare.stderr);
      const key = c.recordedKey();
      // Unique sleeps (one in the background) so we can see them on this machine, where tasks run.
      const a = `${300 + Number(c.jobId) % 500}.${ssh === "openssh" ? 1 : 2}1`;
      const b = `${300 + Number(c.jobId) % 500}.${ssh === "openssh" ? 1 : 2}2`;
      const body = `echo started\nsleep ${a} &\nsleep ${b}\necho late\n`;
      let pid = 0;
      const running = c.cli(["run", c.script("long.sh", body), "build_script"], { onStart: (p) => (pid = p) });
      await waitFor("the remote sleeps to start", () => processRunning(["sleep", a]) && processRunning(["sleep", b]));
      const signalled = Date.now();
      process.kill(pid, "SIGTERM");
      const run = await running;
      assert.ok(Date.now() - signalled < PROMPT_MS);
      assertSystemFailure(run, /^ERROR: executing the script on the remote host: .*cancelled \(SIGTERM\): the remote script was terminated$/);
      assert.equal(run.stdout, "started\n");
      await waitFor("the remote script's processes to end", () => !processRunning(["sleep", a]) && !processRunning(["sleep", b]), 10_000);
      await c.cleanupAndCheck();
      assertNoSecret(c.outputs, key, "private key");
    });
  });
}

describe("cancellation before RunTask returns (API only)", { skip: await sshKindSkip("embedded") }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.05 });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("SIGTERM while RunTask is being throttled ends prepare at once, with no task and no state file", async () => {
    const c = new FaultCase(emulator, "cancel-runtask");
    await emulator.addFaults([{ op: "RunTask", error: "ThrottlingException" }]);
    try {
      const prepare = await cancelWhen(c, ["prepare"], /RunTask throttled/);
      assertSystemFailure(prepare, /^ERROR: starting new Fargate task: running new task on Fargate: cancelled \(SIGTERM\) while starting the task/);
      assert.ok(prepare.signalledAfterMs < PROMPT_MS);
    } finally {
      await emulator.control("DELETE", "/_emulator/faults");
    }
    assert.equal((await c.tasks()).length, 0);
    assertStateDirEmpty(c.stateDir);
    await c.cleanupAndCheck();
  });
});
