// prepare's failure paths against the emulator: RunTask failures and errors in the Go driver's
// words, subnet fallback on capacity failures, tasks that never start, SSH that never comes up,
// start timeouts and SIGTERM: every task started is stopped, with a reason naming the job.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { after, afterEach, before, describe, it } from "node:test";
import { DriverError } from "../../src/errors.js";
import { createTaskRuntime, type TaskRuntime } from "../../src/aws/task-runtime.js";
import { WATCH_INTERVAL_MS } from "../../src/aws/task-watch.js";
import { prepareStage, type TaskRuntimeFactory } from "../../src/stages/prepare.js";
import { cleanupStage } from "../../src/stages/cleanup.js";
import { readState, statePath } from "../../src/state/state-file.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoTaskRunning, newJob, seededConfig, stageContext, tempDir, useEmulatorEnv } from "./stages-e2e-support.js";

/** The emulator-backed runtime with some methods replaced (to act at a precise moment around a call). */
function hooked(overrides: (real: TaskRuntime) => Partial<TaskRuntime>): TaskRuntimeFactory {
  return (cluster, region) => {
    const real = createTaskRuntime(cluster, region);
    return Object.assign(Object.create(real) as TaskRuntime, overrides(real));
  };
}

const GO_PREFIX = "starting new Fargate task: running new task on Fargate: error starting AWS Fargate Task: ";

describe("prepare failures", () => {
  let emulator: EmulatorHandle;
  const stateDir = tempDir("fargate-state-");

  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.02 });
    useEmulatorEnv(emulator);
  });
  afterEach(async () => {
    await assertNoTaskRunning(emulator);
    await emulator.control("DELETE", "/_emulator/faults");
  });
  after(async () => {
    await emulator?.stop();
  });

  async function requests() {
    return (await emulator.requests()) as Array<{ operation: string }>;
  }

  async function taskOf(taskArn: string) {
    return (await emulator.tasks()).find((t) => t.taskArn === taskArn);
  }

  it("tries the next subnet when RunTask reports no capacity", async () => {
    await emulator.control("POST", "/_emulator/subnets", { subnetId: "subnet-second" });
    await emulator.addFaults([
      { op: "RunTask", failure: "Capacity is unavailable at this time. Please try again later or in a different availability zone", subnet: "subnet-xxxxxx", times: 1 },
    ]);
    const config = seededConfig(stateDir, { subnets: ["subnet-xxxxxx", "subnet-second"] });
    const job = newJob();
    await prepareStage(stageContext(config, job).ctx);
    const state = await readState(stateDir, job.id);
    assert.equal((await taskOf(state.taskArn))?.subnetId, "subnet-second");
    await cleanupStage(stageContext(config, job).ctx);
  });

  it("reports RunTask failures in the Go driver's words, starting nothing", async () => {
    // Capacity failures are retried (a few rounds, with backoff): only a lasting one fails prepare.
    await emulator.addFaults([{ op: "RunTask", failure: "Capacity is unavailable at this time" }]);
    const job = newJob();
    await assert.rejects(prepareStage(stageContext(seededConfig(stateDir), job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError && err.failureClass === "system");
      assert.ok(err.message.startsWith(`${GO_PREFIX}Capacity is unavailable at this time (tried subnet subnet-xxxxxx, 3 times each)`), err.message);
      return true;
    });
    assert.equal(existsSync(statePath(stateDir, job.id)), false);
  });

  it("reports RunTask errors in the Go driver's words", async () => {
    const job = newJob();
    const config = seededConfig(stateDir, { cluster: "no-such-cluster" });
    await assert.rejects(prepareStage(stageContext(config, job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.match(err.message, new RegExp(`^${GO_PREFIX}ClusterNotFoundException: `));
      return true;
    });
  });

  it("reports why a task stopped before RUNNING, and keeps its ARN for cleanup", async () => {
    await emulator.addFaults([{ task: "failToStart", times: 1 }]);
    const job = newJob();
    const stage = stageContext(seededConfig(stateDir), job);
    await assert.rejects(prepareStage(stage.ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.match(err.message, /^waiting Fargate task to be ready: task \w+ stopped before RUNNING: TaskFailedToStart: CannotPullContainerError/);
      return true;
    });
    const state = await readState(stateDir, job.id);
    assert.equal(state.address, undefined);
    assert.equal((await taskOf(state.taskArn))?.desiredStatus, "STOPPED");
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
    assert.equal(existsSync(statePath(stateDir, job.id)), false);
  });

  it("stops the task when SSH never becomes ready", async () => {
    await emulator.addFaults([{ ssh: "startDelayMs", value: 60_000, times: 1 }]);
    const config = seededConfig(stateDir);
    config.ssh = { ...config.ssh, readyTimeoutMs: 1500, connectTimeoutMs: 500 };
    const job = newJob();
    await assert.rejects(prepareStage(stageContext(config, job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.match(err.message, /^waiting for the task's SSH server: connecting to server "127[.\d]+:22" as user "\w+": dial tcp 127[.\d]+:22: connect: connection refused/);
      return true;
    });
    const state = await readState(stateDir, job.id);
    const task = await taskOf(state.taskArn);
    assert.equal(task?.desiredStatus, "STOPPED");
    assert.match(task?.stoppedReason ?? "", new RegExp(`^Job ${job.jobId} prepare failed \\(gitlab-fargate-driver\\): waiting for the task's SSH server`));
    await cleanupStage(stageContext(config, job).ctx);
  });

  it("a task that stops shortly before ReadyTimeout is reported with its stop code, not as connection refused", async () => {
    // sshd never starts; the task is interrupted after RUNNING; ReadyTimeout ends before the watch's first look.
    await emulator.addFaults([
      { ssh: "startDelayMs", value: 60_000, times: 1 },
      { task: "stopWhenRunning", afterMs: 300, stopCode: "SpotInterruption", times: 1 },
    ]);
    const config = seededConfig(stateDir);
    config.ssh = { ...config.ssh, readyTimeoutMs: 1500, connectTimeoutMs: 500 };
    assert.ok(config.ssh.readyTimeoutMs < WATCH_INTERVAL_MS);
    const job = newJob();
    await assert.rejects(prepareStage(stageContext(config, job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError && err.code === "task_stopped", String(err));
      assert.match(err.message, /^waiting for the task's SSH server: connecting to server "127[.\d]+:22" as user "\w+": the task stopped: task \w+ is \w+: SpotInterruption: /);
      return true;
    });
    await cleanupStage(stageContext(config, job).ctx);
  });

  it("stops the task when it is not RUNNING within StartTimeout", async () => {
    const job = newJob();
    await assert.rejects(prepareStage(stageContext(seededConfig(stateDir, { startTimeoutMs: 1 }), job).ctx), (err: unknown) => {
      assert.ok(err instanceof DriverError);
      assert.match(err.message, /^waiting Fargate task to be ready: task \w+ not RUNNING after 0\.0 s/);
      return true;
    });
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
  });

  it("rides out DescribeTasks throttling", async () => {
    await emulator.addFaults([{ op: "DescribeTasks", error: "ThrottlingException", times: 6 }]);
    const job = newJob();
    await prepareStage(stageContext(seededConfig(stateDir), job).ctx);
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
  });

  it("stops the task on SIGTERM while waiting", async () => {
    await emulator.addFaults([{ ssh: "startDelayMs", value: 60_000, times: 1 }]);
    const job = newJob();
    const stage = stageContext(seededConfig(stateDir), job);
    const preparing = prepareStage(stage.ctx);
    setTimeout(() => stage.abort.abort(), 600);
    const started = Date.now();
    await assert.rejects(preparing, (err: unknown) => err instanceof DriverError && err.code === "cancelled" && err.failureClass === "system");
    assert.ok(Date.now() - started < 5000);
    const state = await readState(stateDir, job.id);
    const task = await taskOf(state.taskArn);
    assert.equal(task?.desiredStatus, "STOPPED");
    assert.match(task?.stoppedReason ?? "", new RegExp(`^Job ${job.jobId} cancelled during prepare`));
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
  });

  // The retried prepare started a new task and stopped the first one; then the job is cleaned up.
  async function assertSupersededThenClean(job: ReturnType<typeof newJob>, firstArn: string): Promise<void> {
    const second = await readState(stateDir, job.id);
    assert.notEqual(second.taskArn, firstArn);
    const old = await taskOf(firstArn);
    assert.equal(old?.desiredStatus, "STOPPED");
    assert.match(old?.stoppedReason ?? "", /superseded by a new prepare attempt/);
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
  }

  it("stops the task of an earlier prepare attempt for the same job before starting another", async () => {
    const job = newJob();
    await prepareStage(stageContext(seededConfig(stateDir), job).ctx);
    const first = await readState(stateDir, job.id);
    const retry = stageContext(seededConfig(stateDir), job);
    await prepareStage(retry.ctx);
    await assertSupersededThenClean(job, first.taskArn);
  });

  it("a retried prepare stops the task a damaged state file still names, instead of orphaning it", async () => {
    const job = newJob();
    await prepareStage(stageContext(seededConfig(stateDir), job).ctx);
    const first = await readState(stateDir, job.id);
    // Truncated by a crash just after the task ARN: no longer JSON, no longer a key.
    const path = statePath(stateDir, job.id);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.indexOf(first.taskArn) + first.taskArn.length + 2));
    const retry = stageContext(seededConfig(stateDir), job);
    await prepareStage(retry.ctx);
    assert.match(retry.log.text(), /^WARN .*it is not valid JSON \([^)]+\); stopping the task named in it before starting another$/m);
    await assertSupersededThenClean(job, first.taskArn);
  });

  it("SIGTERM before RunTask is sent: no RunTask at all, no task, no state file", async () => {
    // Two moments: during the steps before RunTask (the state directory check), and as the runtime is asked to start the task.
    const moments: Array<{ early: boolean; factory: (abort: () => void) => TaskRuntimeFactory }> = [
      { early: true, factory: () => createTaskRuntime },
      { early: false, factory: (abort) => hooked((real) => ({ runTask: (options, control) => (abort(), real.runTask(options, control)) })) },
    ];
    for (const moment of moments) {
      await emulator.control("DELETE", "/_emulator/requests");
      const job = newJob();
      const stage = stageContext(seededConfig(stateDir), job);
      const preparing = prepareStage(stage.ctx, moment.factory(() => stage.abort.abort()));
      if (moment.early) stage.abort.abort();
      await assert.rejects(preparing, (err: unknown) => {
        assert.ok(err instanceof DriverError && err.code === "cancelled", String(err));
        assert.match(err.message, /cancelled \(SIGTERM\) before .*no task was started$/);
        return true;
      });
      assert.deepEqual((await requests()).filter((r) => r.operation === "RunTask"), []);
      assert.equal(existsSync(statePath(stateDir, job.id)), false);
    }
  });

  it("SIGTERM while RunTask is in flight: the call finishes and its task is stopped", async () => {
    const job = newJob();
    const stage = stageContext(seededConfig(stateDir), job);
    // The abort lands once the call has gone out: it must not be aborted mid-flight.
    const inFlight = hooked((real) => ({
      runTask: (options, control) => {
        const call = real.runTask(options, control);
        stage.abort.abort();
        return call;
      },
    }));
    await assert.rejects(prepareStage(stage.ctx, inFlight), (err: unknown) => err instanceof DriverError && err.code === "cancelled");
    const state = await readState(stateDir, job.id);
    const task = await taskOf(state.taskArn);
    assert.equal(task?.desiredStatus, "STOPPED");
    assert.match(task?.stoppedReason ?? "", new RegExp(`^Job ${job.jobId} cancelled during prepare`));
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
  });

  it("SIGTERM with a failure that is not the cancellation: the message says whether StopTask succeeded", async () => {
    const job = newJob();
    const stage = stageContext(seededConfig(stateDir), job);
    // SIGTERM lands while ECS answers the RUNNING wait with an error of its own.
    const failing = hooked(() => ({
      waitUntilRunning: () => {
        stage.abort.abort();
        return Promise.reject(new DriverError("task_wait_failed", "describing task: ServerException: internal error"));
      },
    }));
    await emulator.addFaults([{ op: "StopTask", error: "AccessDeniedException", message: "not allowed to ecs:StopTask", times: 1 }]);
    await assert.rejects(prepareStage(stage.ctx, failing), (err: unknown) => {
      assert.ok(err instanceof DriverError && err.code === "cancelled");
      assert.equal(err.message, "preparing the task: cancelled (SIGTERM); stopping the task failed: cleanup will try again");
      return true;
    });
    const state = await readState(stateDir, job.id);
    assert.equal((await taskOf(state.taskArn))?.desiredStatus, "RUNNING", "StopTask was denied");
    await cleanupStage(stageContext(seededConfig(stateDir), job).ctx);
    assert.equal((await taskOf(state.taskArn))?.desiredStatus, "STOPPED");
  });
});
