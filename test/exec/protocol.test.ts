// exec's imitation of GitLab Runner's custom executor protocol, observed through a fixture driver
// that records every call: stage order, environment, process groups, exit codes, retries, cleanup.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { execFixture, fixtureJob, stageOrder } from "./fixtures/exec-helper.js";

const itWorks = `
variables:
  GLOBAL_VAR: global
  API_TOKEN: "tok-1234567890"
test:
  variables:
    JOB_VAR: "job $GLOBAL_VAR"
  script:
    - echo "It works!"
    - echo "token=$API_TOKEN"
  after_script:
    - echo "after with status $CI_JOB_STATUS"
`;

const happyOrder = [
  "config", "prepare",
  "run:prepare_script", "run:get_sources", "run:build_script", "run:after_script", "run:cleanup_file_variables",
  "cleanup",
];

describe("exec protocol", { timeout: 180_000 }, () => {
  it("runs each stage as its own driver process with the runner's environment", async () => {
    const job = fixtureJob(itWorks);
    const run = await execFixture(job);
    assert.equal(run.code, 0, run.log);
    const calls = job.calls();
    assert.deepEqual(stageOrder(calls), happyOrder);

    const tempDir = calls[0]!.env.TMPDIR!;
    assert.ok(tempDir.startsWith(`${job.tmpRoot}/custom-executor`));
    assert.equal(new Set(calls.map((c) => c.pid)).size, calls.length, "a new process for every call");
    for (const c of calls) {
      const what = c.runStage ?? c.stage;
      assert.equal(c.pgid, c.pid, `${what}: leads its own process group`);
      assert.notEqual(c.pgid, process.pid);
      assert.equal(c.stdin, "/dev/null", `${what}: stdin`);
      assert.equal(c.cwd, tempDir, `${what}: cwd is the per-job temp dir`);
      assert.equal(c.env.TMPDIR, tempDir);
      assert.equal(c.env.BUILD_FAILURE_EXIT_CODE, "1");
      assert.equal(c.env.SYSTEM_FAILURE_EXIT_CODE, "2");
      assert.equal(c.env.BUILD_EXIT_CODE_FILE, `${tempDir}/build_exit_code`);
      assert.equal(c.env.JOB_RESPONSE_FILE, `${tempDir}/response.json`);
      assert.equal(c.responseMode, 0o600, `${what}: JOB_RESPONSE_FILE mode`);
      assert.equal(c.env.CUSTOM_ENV_CI_JOB_NAME, "test");
      assert.equal(c.env.CUSTOM_ENV_JOB_VAR, "job global");
      assert.equal(c.env.CUSTOM_ENV_API_TOKEN, "tok-1234567890");
      assert.equal(c.env.CUSTOM_ENV_CI_JOB_SERVICES, "");
      assert.equal(c.env.CUSTOM_ENV_CI_JOB_TIMEOUT, "3600");
      assert.match(c.env.CUSTOM_ENV_CI_JOB_ID!, /^\d+$/);
      assert.equal(c.env.CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN, "localexec");
      assert.equal("CUSTOM_ENV_CI_JOB_IMAGE" in c.env, false, "no image, no CI_JOB_IMAGE");
      // job_env from config reaches every later call, never config itself.
      assert.equal(c.env.FIXTURE_FROM_JOB_ENV, c.stage === "config" ? undefined : "yes", what);
      if (c.runStage) {
        assert.deepEqual(c.argv.slice(0, 4), ["--config", `${job.dir}/fargate.toml`, "custom", "run"]);
        assert.equal(c.argv[5], c.runStage);
        assert.ok(c.argv[4]!.startsWith(`${tempDir}/script`));
        assert.equal(c.scriptMode, 0o700, `${what}: script file mode`);
        assert.match(c.script!, /^#!\/usr\/bin\/env bash\n\ntrap 'exit 1' TERM\n/);
      } else {
        assert.deepEqual(c.argv, ["--config", `${job.dir}/fargate.toml`, "custom", c.stage]);
      }
    }
    const status = (stage: string) => calls.find((c) => c.runStage === stage)!.env.CUSTOM_ENV_CI_JOB_STATUS;
    assert.equal(status("build_script"), "running");
    assert.equal(status("after_script"), "success");
    assert.equal(existsSync(tempDir), false, "the temp dir is removed after cleanup");

    const lines = run.log.split("\n");
    const order = [
      "Running with gitlab-fargate-driver", 'Preparing the "custom" executor', "fixture: config says hello on stderr",
      "Using Custom executor with driver fixture 1.2.3...", "fixture: task prepared", "Preparing environment",
      "Running on ", "Getting source from Git repository", "Skipping restore_cache: the job defines no cache",
      "Skipping download_artifacts:", 'Executing "step_script" stage of the job script', "It works!", "token=[MASKED]",
      "Running after_script", "after with status success", "Skipping archive_cache: the job defines no cache",
      "Skipping upload_artifacts_on_success: the job defines no artifacts",
      "Cleaning up project directory and file based variables", "Job succeeded",
    ];
    let at = 0;
    for (const want of order) {
      const found = lines.findIndex((l, i) => i >= at && l.includes(want));
      assert.ok(found >= 0, `job log line "${want}" in order:\n${run.log}`);
      at = found + 1;
    }
    assert.equal(lines.at(-2), "Job succeeded");
    assert.ok(!run.log.includes("tok-1234567890"), "masked value never printed");
    assert.ok(!run.log.includes("cleanup stdout") && !run.log.includes("cleanup stderr"), "cleanup output is not part of the job log");
  });

  it("reports BUILD_EXIT_CODE_FILE's exit code, still runs after_script and cleanup", async () => {
    const job = fixtureJob("test:\n  script: [echo start, exit 3, echo never]\n  after_script: [echo after $CI_JOB_STATUS]\n");
    const run = await execFixture(job);
    assert.equal(run.code, 1);
    assert.deepEqual(stageOrder(job.calls()), happyOrder);
    assert.match(run.log, /after failed\n/);
    assert.ok(!run.log.includes("never\n"));
    assert.match(run.log, /ERROR: Job failed: exit code 3\n$/);
    assert.equal(job.calls().find((c) => c.runStage === "after_script")!.env.CUSTOM_ENV_CI_JOB_STATUS, "failed");
  });

  it("maps the system-failure exit code to a system failure", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_BUILD_SCRIPT: "2" });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.match(run.log, /ERROR: Job failed \(system failure\): exit status 2\n$/);
    assert.deepEqual(stageOrder(job.calls()).slice(-2), ["run:cleanup_file_variables", "cleanup"]);
  });

  it("treats an unknown exit code as a system failure and skips the script", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_GET_SOURCES: "7" });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.match(run.log, /ERROR: Job failed \(system failure\): unknown Custom executor executable exit code 7; executable execution terminated with: exit status 7\n$/);
    assert.deepEqual(stageOrder(job.calls()), ["config", "prepare", "run:prepare_script", "run:get_sources", "run:cleanup_file_variables", "cleanup"]);
  });

  it("treats death by a signal as a system failure", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_SIGNAL_BUILD_SCRIPT: "SIGKILL" });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.match(run.log, /unknown Custom executor executable exit code -1; executable execution terminated with: signal: killed\n$/);
    assert.equal(stageOrder(job.calls()).at(-1), "cleanup");
  });

  it("retries config+prepare 3 times, cleaning up after each failed attempt", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_PREPARE: "2" });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.deepEqual(stageOrder(job.calls()), ["config", "prepare", "cleanup", "config", "prepare", "cleanup", "config", "prepare", "cleanup"]);
    const dirs = new Set(job.calls().map((c) => c.env.TMPDIR));
    assert.equal(dirs.size, 3, "a fresh temp dir per attempt");
    assert.equal(run.log.match(/ERROR: Preparation failed: exit status 2\nWill be retried in 0s \.\.\./g)?.length, 2);
    assert.match(run.log, /ERROR: Job failed \(system failure\): exit status 2\n$/);
    assert.deepEqual(readdirSync(job.tmpRoot), [], "every temp dir removed");
  });

  it("does not retry a preparation that failed with the build-failure code", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_PREPARE: "1" });
    const run = await execFixture(job);
    assert.equal(run.code, 1);
    assert.deepEqual(stageOrder(job.calls()), ["config", "prepare", "cleanup"]);
    assert.match(run.log, /ERROR: Job failed: exit code 1\n$/);
  });

  it("fails on anything but one JSON object from config, without cleanup (config never succeeded)", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_CONFIG_OUTPUT: 'starting\n{"builds_dir":"b"}' });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.deepEqual(stageOrder(job.calls()), ["config", "config", "config"]);
    assert.match(run.log, /ERROR: Job failed \(system failure\): error while parsing JSON output: /);
  });

  it("honours builds_dir and hostname from config", async () => {
    const job = fixtureJob("test: {script: [pwd, echo $CI_PROJECT_DIR]}\n", {
      FIXTURE_CONFIG_OUTPUT: JSON.stringify({ builds_dir: "custom-builds", hostname: "host-from-config" }),
    });
    const run = await execFixture(job);
    assert.equal(run.code, 0, run.log);
    assert.match(run.log, /Running on \S+ via host-from-config\.\.\./);
    assert.ok(run.log.includes(`${job.taskDir}/custom-builds/local/`), run.log);
    assert.match(run.log, /\ncustom-builds\/local\/exec-proto-\w+\n/);
    assert.match(run.log, /Using Custom executor\.\.\./);
    assert.equal(job.calls().find((c) => c.runStage === "build_script")!.env.CUSTOM_ENV_CI_BUILDS_DIR, "custom-builds");
  });

  it("runs nothing but cleanup after prepare_script fails", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_PREPARE_SCRIPT: "2" });
    const run = await execFixture(job);
    assert.equal(run.code, 2);
    assert.deepEqual(stageOrder(job.calls()), ["config", "prepare", "run:prepare_script", "cleanup"]);
    assert.match(run.log, /system failure\): prepare environment: exit status 2\. Check https:\/\/docs\.gitlab\.com/);
  });

  it("ignores after_script errors", async () => {
    const job = fixtureJob("test: {script: [echo hi], after_script: [exit 4]}\n");
    const run = await execFixture(job);
    assert.equal(run.code, 0);
    assert.ok(run.log.includes("$ exit 4\x1b[0;m\nWARNING: after_script failed, but job will continue unaffected: exit code 4\n"), run.log);
    assert.match(run.log, /Job succeeded\n$/);
  });

  it("reports a failed cleanup as a warning, with its stderr, and shows cleanup output only when debugging", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n", { FIXTURE_EXIT_CLEANUP: "2" });
    const run = await execFixture(job, "test", { debug: true });
    assert.equal(run.code, 0);
    assert.match(run.log, /WARNING: Cleanup script failed: exit status 2\nWARNING: cleanup: fixture: CLEANUP fails with exit code 2\nJob succeeded\n$/);
    const ok = fixtureJob("test: {script: [echo hi]}\n");
    const debugRun = await execFixture(ok, "test", { debug: true });
    assert.match(debugRun.stderr, /fixture: cleanup stdout\n/);
    assert.match(debugRun.stderr, /fixture: cleanup stderr\n/);
    assert.ok(!debugRun.log.includes("fixture: cleanup"));
  });

  it("runs the cache and artifact stages only when the job has cache or artifacts", async () => {
    const job = fixtureJob("test:\n  script: [mkdir -p out, echo x > out/f]\n  cache: {key: k, paths: [out/]}\n  artifacts: {paths: [out/]}\n");
    const run = await execFixture(job);
    assert.equal(run.code, 0, run.log);
    assert.deepEqual(stageOrder(job.calls()), [
      "config", "prepare", "run:prepare_script", "run:get_sources", "run:restore_cache", "run:build_script",
      "run:archive_cache", "run:upload_artifacts_on_success", "run:cleanup_file_variables", "cleanup",
    ]);
    assert.match(run.log, /Restoring cache\n/);
    assert.match(run.log, /Saving cache for successful job\n/);
    assert.match(run.log, /Uploading artifacts for successful job\n/);
  });

  it("uses the failure variants of the cache and artifact stages after a failed script", async () => {
    const job = fixtureJob("test:\n  script: [exit 1]\n  cache: {paths: [out/]}\n  artifacts: {paths: [out/], when: always}\n");
    const run = await execFixture(job);
    assert.equal(run.code, 1);
    const order = stageOrder(job.calls());
    assert.ok(order.includes("run:archive_cache_on_failure") && order.includes("run:upload_artifacts_on_failure"), order.join());
  });

  it("runs the job's image through CI_JOB_IMAGE and services through CI_JOB_SERVICES", async () => {
    const job = fixtureJob("test: {image: 'alpine:3', services: ['postgres:16'], script: [echo hi]}\n");
    await execFixture(job);
    const env = job.calls()[0]!.env;
    assert.equal(env.CUSTOM_ENV_CI_JOB_IMAGE, "alpine:3");
    assert.equal(env.CUSTOM_ENV_CI_JOB_SERVICES, '[{"name":"postgres:16","alias":"","entrypoint":null,"command":null}]');
  });

  it("works with a driver that feeds the script to bash on stdin", async () => {
    const job = fixtureJob("test: {script: [echo \"from stdin $CI_JOB_NAME\", read -r x || echo \"stdin is empty\"]}\n", { FIXTURE_STDIN: "1" });
    const run = await execFixture(job);
    assert.equal(run.code, 0, run.log);
    assert.match(run.log, /\nfrom stdin test\n.*\nstdin is empty\n/);
  });

  it("refuses a missing driver config up front", async () => {
    const job = fixtureJob("test: {script: [echo hi]}\n");
    const run = await execFixture(job, "test", { configPath: `${job.dir}/missing.toml` });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^fargate exec: reading driver config ".*missing.toml": no such file/);
    assert.deepEqual(job.calls(), []);
  });

  it("reports job selection errors in one line with exit code 2, without calling the driver", async () => {
    const job = fixtureJob("build: {script: [make]}\n.hidden: {script: [x]}\n");
    const run = await execFixture(job, "test");
    assert.equal(run.code, 2);
    assert.equal(run.log, "");
    assert.match(run.stderr, /^fargate exec: job "test" not found in ".*": no such job; jobs in this file: build\n$/);
    assert.deepEqual(job.calls(), []);
  });
});
