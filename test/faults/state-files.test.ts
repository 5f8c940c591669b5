// Fault matrix, state files: missing, damaged (with and without a task ARN left in it), unreadable,
// and a metadata directory that cannot be written. Each is a system failure naming the file and
// the fix; a damaged file still lets cleanup stop the task it names; nothing starts when the
// directory is unusable.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { assertNoSecret, assertStateDirEmpty, assertSystemFailure, FaultCase, sshKindSkip } from "./support.js";

interface Request {
  operation: string;
  parameters?: { startedBy?: string };
}

describe("state files (embedded sshd)", { skip: await sshKindSkip("embedded"), concurrency: true }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh: "embedded", timeScale: 0.03 });
  });
  after(async () => {
    await emulator?.stop();
  });

  const script = (c: FaultCase) => c.script("job.sh", "echo hello\n");

  it("run without a state file: the Go driver's words, and cleanup has nothing to do", async () => {
    const c = new FaultCase(emulator, "state-missing");
    const run = await c.cli(["run", script(c), "build_script"]);
    assertSystemFailure(run, /^ERROR: obtaining information about the running task: trying to access file "\/\S+\.json": file does not exist$/);
    await c.cleanupAndCheck();
  });

  it("a truncated state file: run fails naming it, cleanup still stops the task it names", async () => {
    const c = new FaultCase(emulator, "state-truncated");
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    const key = c.recordedKey();
    const text = readFileSync(c.statePath, "utf8");
    // Cut inside the private key, after the task ARN: a crash mid-write on a filesystem without rename.
    writeFileSync(c.statePath, text.slice(0, text.indexOf('"privateKey"') + 80));
    const run = await c.cli(["run", script(c), "build_script"]);
    assertSystemFailure(run, /^ERROR: obtaining information about the running task: reading file "\/\S+\.json": it is not valid JSON \(it ends early: truncated\); the file is damaged .*stop it, then delete the file$/);
    const cleanup = await c.cli(["cleanup"]);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stderr, /stopping the task named in it anyway/);
    await c.assertNoLiveTask();
    assertStateDirEmpty(c.stateDir);
    assertNoSecret(c.outputs, key, "private key");
  });

  it("garbage in the middle of the key: the message quotes none of the file", async () => {
    const c = new FaultCase(emulator, "state-garbage");
    const prepare = await c.cli(["prepare"]);
    assert.equal(prepare.code, 0, prepare.stderr);
    const key = c.recordedKey();
    const text = readFileSync(c.statePath, "utf8");
    writeFileSync(c.statePath, text.replace('"privateKey": "', '"privateKey": '));
    const run = await c.cli(["run", script(c), "build_script"]);
    assertSystemFailure(run, /it is not valid JSON \(malformed( at character \d+)?\); the file is damaged/);
    await c.cleanupAndCheck();
    assertNoSecret(c.outputs, key, "private key");
  });

  it("a state file naming no task: run and cleanup fail saying how to find the task; the file goes", async () => {
    const c = new FaultCase(emulator, "state-no-task");
    mkdirSync(c.stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(c.statePath, '{"version": 1}\n', { mode: 0o600 });
    const run = await c.cli(["run", script(c), "build_script"]);
    assertSystemFailure(run, /^ERROR: obtaining information about the running task: reading file "\/\S+\.json": it does not hold a job state \(.*\); the file is damaged/);
    const cleanup = await c.cli(["cleanup"]);
    assertSystemFailure(cleanup, new RegExp(`it names no task, so none was stopped and the file was deleted: look for a task tagged gitlab-runner:job-id=${c.jobId} in cluster "test-cluster" and stop it$`));
    assert.equal((await c.tasks()).length, 0);
    assertStateDirEmpty(c.stateDir);
  });

  it("an unreadable state file: run and cleanup name it and the fix, and leave it for the operator", async () => {
    const c = new FaultCase(emulator, "state-unreadable");
    // Running as root, permissions cannot make a file unreadable: a directory in its place can.
    mkdirSync(c.statePath, { recursive: true });
    const run = await c.cli(["run", script(c), "build_script"]);
    assertSystemFailure(run, /^ERROR: obtaining information about the running task: trying to access file "\/\S+\.json": .*EISDIR.*; run the driver as the user that owns the metadata directory/);
    const cleanup = await c.cli(["cleanup"]);
    assertSystemFailure(cleanup, /trying to access file "\/\S+\.json": .*EISDIR/);
    assert.equal((await c.tasks()).length, 0);
    // Deliberately kept: the driver must not delete what it could not read.
    assert.ok(existsSync(c.statePath));
  });

  for (const [name, directory] of [
    ["under a regular file", (c: FaultCase) => join(writeFile(join(c.dir, "plain-file")), "metadata")],
    ["that is a regular file", (c: FaultCase) => writeFile(join(c.dir, "not-a-dir"))],
  ] as const) {
    it(`a state directory ${name}: prepare fails before RunTask, naming it and the fix`, async () => {
      const c = new FaultCase(emulator, `dir-${name}`);
      c.config({ directory: directory(c) });
      const prepare = await c.cli(["prepare"]);
      assertSystemFailure(
        prepare,
        /^ERROR: preparing the task metadata directory "\/\S+" \(\[TaskMetadata\] Directory\): .+; create it and make it writable by the user running the driver \(usually gitlab-runner\), e\.g\. sudo install -d -m 0700 -o gitlab-runner "\/\S+"$/,
      );
      const runTasks = ((await emulator.requests()) as Request[]).filter((r) => r.operation === "RunTask" && r.parameters?.startedBy === c.startedBy);
      assert.equal(runTasks.length, 0, "no task was started");
      assert.equal((await c.tasks()).length, 0);
      await c.assertNoLiveTask();
    });
  }
});

function writeFile(path: string): string {
  writeFileSync(path, "not a directory\n");
  return path;
}
