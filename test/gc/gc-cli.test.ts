// `fargate gc` through the real CLI (as cron or systemd start it: no runner or job variables)
// against the emulator, in a cluster shared with another runner. Every step asserts the emulator's
// task states, the StopTask calls it received and the metadata directory afterwards.
import assert from "node:assert/strict";
import { rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { computeJobId } from "../../src/job.js";
import { writeState } from "../../src/state/state-file.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sshKindSkip, tempDir } from "../driver/stages-e2e-support.js";
import {
  baseEnv,
  metadataDir,
  PIPELINE,
  PROJECT_URL,
  readStateJson,
  runCli,
  runnerEnv,
  startTaskAsPrepare,
  stateDirEntries,
  stateFile,
  stopTaskDirectly,
  taskState,
  writeConfig,
} from "./gc-support.js";

const A = "gcRunnrA1"; // this host's runner
const B = "otherRun2"; // another runner sharing the cluster (and, here, even the metadata directory)
const DAY_MS = 86_400_000;

interface RequestRecord {
  operation: string;
  parameters: { task?: string; reason?: string; startedBy?: string };
}

describe("fargate gc against the emulator", { skip: await sshKindSkip("embedded") }, () => {
  let emulator: EmulatorHandle;
  const dir = tempDir("fargate-gc-");
  const config = writeConfig(dir);
  before(async () => {
    emulator = await startEmulator({ timeScale: 0.02 });
  });
  after(async () => {
    await emulator?.stop();
  });

  const gc = (...args: string[]) => runCli(["--config", config, "gc", ...args], baseEnv(emulator, dir), dir);
  const prepare = async (jobId: string) => {
    const result = await runCli(["--config", config, "custom", "prepare"], runnerEnv(emulator, dir, A, jobId), dir);
    assert.equal(result.code, 0, result.stderr);
    return readStateJson(stateFile(dir, A, jobId)).taskArn;
  };
  const desired = async () => new Map((await emulator.tasks()).map((t) => [t.taskArn, t.desiredStatus]));
  const stopCalls = async () =>
    ((await emulator.requests()) as RequestRecord[]).filter((r) => r.operation === "StopTask").map((r) => r.parameters);
  const staleState = async (token: string, jobId: string, taskArn: string) => {
    const id = computeJobId(token, PROJECT_URL, PIPELINE, jobId);
    const createdAt = new Date(Date.now() - 2 * DAY_MS).toISOString();
    await writeState(metadataDir(dir), { version: 1, id, jobId, region: "us-east-2", cluster: "test-cluster", taskArn, privateKey: "unused", createdAt });
    return join(metadataDir(dir), `${id}.json`);
  };

  it("stops orphans and stale jobs' tasks, never live jobs', young or another runner's tasks; --dry-run changes nothing", async () => {
    // A live job (fresh state file), a job whose prepare was killed before writing its state
    // (simulated: the state file deleted), and a job whose state file is two days old.
    const [live, lostState, stale] = await Promise.all([prepare("8001"), prepare("8003"), prepare("8004")]);
    rmSync(stateFile(dir, A, "8003"));
    const staleFile = stateFile(dir, A, "8004");
    const staleJson = readStateJson(staleFile);
    writeFileSync(staleFile, JSON.stringify({ ...staleJson, createdAt: new Date(Date.now() - 2 * DAY_MS).toISOString() }));
    // A task started exactly as prepare starts it, whose prepare died before it could write state.
    const orphan = await startTaskAsPrepare(emulator, A, "8002");
    // A stale state file whose task is already stopped, and an old temp file of an interrupted write.
    const gone = await startTaskAsPrepare(emulator, A, "8005");
    await stopTaskDirectly(emulator, gone);
    const goneFile = await staleState(A, "8005", gone);
    const tempFile = join(metadataDir(dir), `.${computeJobId(A, PROJECT_URL, PIPELINE, "8006")}.4242.deadbeef.tmp`);
    writeFileSync(tempFile, "{", { mode: 0o600 });
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(tempFile, twoHoursAgo, twoHoursAgo);
    // This runner's task someone already stopped.
    const stopped = await startTaskAsPrepare(emulator, A, "8007");
    await stopTaskDirectly(emulator, stopped);
    // Another runner's task with no state file, and even a stale state file of that runner here.
    const other = await startTaskAsPrepare(emulator, B, "9001");
    const otherFile = await staleState(B, "9001", other);

    const allFiles = stateDirEntries(dir);
    const before = await desired();
    await emulator.control("DELETE", "/_emulator/requests");

    // 1. --dry-run: prints everything it would do and does none of it.
    const dry = await gc("--runner", A, "--older-than", "1ms", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    const dryLines = dry.stdout.trimEnd().split("\n");
    const normalised = dryLines.slice(0, -1).map((line) => line.replace(/, started \d+[sm] ago\)/, ", started SECONDS ago)"));
    assert.deepEqual(normalised.sort(), [
      `would delete leftover temporary file ${tempFile} (written 2h ago): an interrupted state write`,
      `would delete state file ${goneFile} (job 8005, written 2d ago): stale, and its task is already stopped`,
      `would delete state file ${staleFile} (job 8004, written 2d ago): once its task is stopped`,
      ...[
        [lostState, "8003", "no live job owns it"],
        [orphan, "8002", "no live job owns it"],
        [stale, "8004", "its job's state file is stale (written 2d ago)"],
      ].map(([arn, job, why]) => `would stop task ${arn} (job ${job}, started SECONDS ago): ${why}`),
    ].sort());
    assert.equal(
      dryLines.at(-1),
      "gc (dry run): would stop 3 tasks, would delete 2 state files and 1 temporary file; left alone 1 task of live jobs, 0 younger than 1ms; nothing was changed",
    );
    assert.deepEqual(await desired(), before);
    assert.deepEqual(stateDirEntries(dir), allFiles);
    assert.deepEqual(await stopCalls(), []);

    // 2. Everything is younger than --older-than 1h: no task is stopped; files whose task is gone are deleted.
    const young = await gc("--runner", A, "--older-than", "1h");
    assert.equal(young.code, 0, young.stderr);
    assert.equal(
      young.stdout,
      `deleted state file ${goneFile} (job 8005, written 2d ago): stale, and its task is already stopped\n` +
        `deleted leftover temporary file ${tempFile} (written 2h ago): an interrupted state write\n` +
        "gc: stopped 0 tasks, deleted 1 state file and 1 temporary file; left alone 1 task of live jobs, 3 younger than 1h; 0 failures\n",
    );
    assert.deepEqual(await desired(), before);
    assert.deepEqual(await stopCalls(), []);
    assert.deepEqual(stateDirEntries(dir), allFiles.filter((name) => !goneFile.endsWith(name) && !tempFile.endsWith(name)));

    // 3. The real run: orphans and the stale job's task stopped, nothing else.
    const real = await gc("--runner", A, "--older-than", "1ms");
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`^stopped task ${stale} \\(job 8004, started \\d+[sm] ago\\): its job's state file is stale \\(written 2d ago\\)$`, "m"));
    assert.match(real.stdout, new RegExp(`^stopped task ${orphan} \\(job 8002, started \\d+[sm] ago\\): no live job owns it$`, "m"));
    assert.match(real.stdout, new RegExp(`^stopped task ${lostState} \\(job 8003, started \\d+[sm] ago\\): no live job owns it$`, "m"));
    assert.match(real.stdout, new RegExp(`^deleted state file ${staleFile} \\(job 8004, written 2d ago\\): its task is stopped$`, "m"));
    assert.match(real.stdout, /^gc: stopped 3 tasks, deleted 1 state file; left alone 1 task of live jobs, 0 younger than 1ms; 0 failures\n$/m);
    const calls = await stopCalls();
    assert.deepEqual(calls.map((c) => c.task).sort(), [lostState, orphan, stale].sort());
    for (const call of calls) assert.match(call.reason ?? "", /^Stopped by fargate gc \(gitlab-fargate-driver\): /);
    for (const arn of [lostState, orphan, stale]) {
      const task = await taskState(emulator, arn);
      assert.equal(task.desiredStatus, "STOPPED");
      assert.match(task.stoppedReason ?? "", /^Stopped by fargate gc/);
    }
    assert.equal((await taskState(emulator, live)).desiredStatus, "RUNNING");
    assert.equal((await taskState(emulator, other)).desiredStatus, "RUNNING");
    assert.equal((await taskState(emulator, stopped)).stoppedReason, "stopped by the test");
    assert.deepEqual(stateDirEntries(dir), [stateFile(dir, A, "8001"), otherFile].map((p) => p.slice(metadataDir(dir).length + 1)).sort());

    // 4. Nothing left to do: idempotent.
    const again = await gc("--runner", A, "--older-than", "1ms");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, "gc: stopped 0 tasks, deleted 0 state files; left alone 1 task of live jobs, 0 younger than 1ms; 0 failures\n");

    // 5. The live job ends normally; the other runner's task and state file were never touched.
    const cleanup = await runCli(["--config", config, "custom", "cleanup"], runnerEnv(emulator, dir, A, "8001"), dir);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.equal((await taskState(emulator, live)).desiredStatus, "STOPPED");
    assert.equal((await taskState(emulator, other)).desiredStatus, "RUNNING");
    assert.deepEqual(stateDirEntries(dir), [otherFile.slice(metadataDir(dir).length + 1)]);
    assert.ok(!(await stopCalls()).some((c) => c.task === other || c.task === stopped));
    await stopTaskDirectly(emulator, other);
  });

  it("exits 2 with one line when AWS fails, and changes nothing it could not finish", async () => {
    const orphan = await startTaskAsPrepare(emulator, A, "8101");
    await emulator.addFaults([{ op: "ListTasks", error: "AccessDeniedException", message: "not allowed to ecs:ListTasks" }]);
    const denied = await gc("--runner", A, "--older-than", "1ms");
    await emulator.control("DELETE", "/_emulator/faults");
    assert.equal(denied.code, 2);
    assert.equal(denied.stdout, "");
    assert.equal(
      denied.stderr,
      `ERROR: listing the tasks of cluster "test-cluster" started by "gitlab-fargate-${A}": AccessDeniedException: not allowed to ecs:ListTasks\n`,
    );
    assert.equal((await taskState(emulator, orphan)).desiredStatus, "RUNNING");

    await emulator.addFaults([{ op: "StopTask", error: "AccessDeniedException", message: "not allowed to ecs:StopTask" }]);
    const failed = await gc("--runner", A, "--older-than", "1ms");
    await emulator.control("DELETE", "/_emulator/faults");
    assert.equal(failed.code, 2);
    assert.equal(failed.stdout, "gc: stopped 0 tasks, deleted 0 state files; left alone 0 tasks of live jobs, 0 younger than 1ms; 1 failure\n");
    assert.match(failed.stderr, /not allowed to ecs:StopTask; check that the driver's IAM role may call ecs:StopTask/);
    assert.match(failed.stderr, /^ERROR: fargate gc: 1 action\(s\) failed/m);
    assert.doesNotMatch(failed.stderr, /\n\s+at /, "no stack trace");
    assert.equal((await taskState(emulator, orphan)).desiredStatus, "RUNNING");

    const retried = await gc("--runner", A, "--older-than", "1ms");
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`^stopped task ${orphan} \\(job 8101, `, "m"));
    assert.equal((await taskState(emulator, orphan)).desiredStatus, "STOPPED");
    assert.deepEqual(stateDirEntries(dir), [`${computeJobId(B, PROJECT_URL, PIPELINE, "9001")}.json`]);
  });

  it("rides out throttling of ListTasks, DescribeTasks and StopTask beyond the SDK's retries, and stops the orphan", async () => {
    const orphan = await startTaskAsPrepare(emulator, A, "8201");
    await emulator.control("DELETE", "/_emulator/requests");
    const ops = ["ListTasks", "DescribeTasks", "StopTask"];
    await emulator.addFaults(ops.map((op) => ({ op, error: "ThrottlingException", times: 7 })));
    const result = await gc("--runner", A, "--older-than", "1ms");
    await emulator.control("DELETE", "/_emulator/faults");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^stopped task ${orphan} \\(job 8201, started \\d+[sm] ago\\): no live job owns it$`, "m"));
    assert.match(result.stdout, /^gc: stopped 1 task, deleted 0 state files; left alone 0 tasks of live jobs, 0 younger than 1ms; 0 failures\n$/m);
    const outcomes = (await emulator.requests()) as (RequestRecord & { outcome: string })[];
    for (const op of ops) {
      assert.deepEqual(outcomes.filter((r) => r.operation === op).map((r) => r.outcome), [...Array(7).fill("ThrottlingException"), "ok"], op);
    }
    assert.equal((await taskState(emulator, orphan)).desiredStatus, "STOPPED");
  });

  it("refuses to run without an exact runner token", async () => {
    for (const args of [[], ["--runner", "gcRunnr*"], ["--runner", ""]]) {
      const result = await gc(...args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^ERROR: fargate gc: --runner/);
    }
  });
});
