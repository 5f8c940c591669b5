// End to end: the real `fargate exec` CLI runs jobs through the real driver against the real
// fargate-emulator (loopback only), with the example pipeline and fargate.toml.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startEmulator, type EmulatorHandle, type EmulatorTask } from "../support/emulator.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exampleCi = path.join(repoRoot, "examples/.gitlab-ci.yml");
const exampleToml = path.join(repoRoot, "examples/fargate.toml");
const runTimeoutMs = 120_000;

interface CliRun {
  code: number | null;
  log: string;
}

/** Starts `fargate exec` as its own process; `onLog` sees the output as it streams. */
function fargateExec(emulator: EmulatorHandle, ciFile: string, onLog: (log: string, signal: (s: NodeJS.Signals) => void) => void = () => {}): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  const child = spawn(process.execPath, [
    "--import", "tsx", path.join(repoRoot, "src/cli.ts"), "exec", "--file", ciFile, "--config", exampleToml, "test",
  ], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...env, ...emulator.env } });
  let log = "";
  const onData = (d: string) => {
    log += d;
    onLog(log, (s) => child.kill(s));
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`fargate exec did not finish within ${runTimeoutMs / 1000} s:\n${log}`));
    }, runTimeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

function ciFile(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "exec-e2e-"));
  writeFileSync(path.join(dir, ".gitlab-ci.yml"), yaml);
  return path.join(dir, ".gitlab-ci.yml");
}

// The job's task (found by its job-id tag) must not be left RUNNING once exec returned.
async function assertTaskStopped(emulator: EmulatorHandle, log: string): Promise<void> {
  const jobId = /job (\d+) "test"/.exec(log)?.[1];
  assert.ok(jobId, `job id in the log:\n${log}`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const tasks: EmulatorTask[] = (await emulator.tasks()).filter((t) => Object.entries(t.tags).some(([k, v]) => k.endsWith("job-id") && v === jobId));
    assert.equal(tasks.length, 1, `one task for job ${jobId}`);
    if (tasks[0]!.lastStatus !== "RUNNING") {
      assert.equal(tasks[0]!.desiredStatus, "STOPPED");
      return;
    }
    if (Date.now() > deadline) assert.fail(`task ${tasks[0]!.taskId} of job ${jobId} is still RUNNING`);
    await sleep(200);
  }
}

for (const ssh of ["embedded", "openssh"] as const) describe(`fargate exec end to end (${ssh} sshd)`, { concurrency: true, timeout: 300_000 }, () => {
  let emulator: EmulatorHandle;
  before(async () => {
    emulator = await startEmulator({ ssh, timeScale: 0.05 });
  });
  after(async () => {
    await emulator?.stop();
  });

  it("runs the example job through the driver and the emulator", async () => {
    const run = await fargateExec(emulator, exampleCi);
    assert.equal(run.code, 0, run.log);
    assert.match(run.log, /Using Custom executor with driver fargate \S+\.\.\./);
    assert.match(run.log, /\nIt works!\n.*\$ for i in \$\(seq 1 5\).*\n(\.\n){5}Skipping archive_cache/);
    assert.match(run.log, /Job succeeded\n$/);
    await assertTaskStopped(emulator, run.log);
  });

  it("reports the script's exit code and runs after_script in the task", async () => {
    const run = await fargateExec(emulator, ciFile("test:\n  script: [echo start, exit 3]\n  after_script: [echo after=$CI_JOB_STATUS]\n"));
    assert.equal(run.code, 1, run.log);
    assert.match(run.log, /\nafter=failed\n/);
    assert.match(run.log, /ERROR: Job failed: exit code 3\n$/);
    await assertTaskStopped(emulator, run.log);
  });

  it("stops the job on SIGTERM and leaves no task running", async () => {
    let signalled = false;
    const run = await fargateExec(emulator, ciFile("test:\n  script: [echo sleeping, sleep 60]\n"), (log, signal) => {
      if (!signalled && /\nsleeping\n/.test(log)) {
        signalled = true;
        signal("SIGTERM");
      }
    });
    assert.ok(signalled, run.log);
    assert.equal(run.code, 130, run.log);
    assert.match(run.log, /ERROR: Job failed: canceled\n$/);
    await assertTaskStopped(emulator, run.log);
  });
});
