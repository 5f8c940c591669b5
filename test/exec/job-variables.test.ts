// Job variables, the driver's environment, the job payload and masking.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { parseConfigOutput } from "../../src/exec/config-output.js";
import { parseJob } from "../../src/exec/gitlab-ci.js";
import { jobPayload } from "../../src/exec/job-payload.js";
import { JobLog } from "../../src/exec/job-log.js";
import { JobSession } from "../../src/exec/job-session.js";
import { buildJobVariables, projectDir, servicesJson, tooShortToMask, type LocalJob } from "../../src/exec/job-variables.js";
import { Masker } from "../../src/exec/masker.js";

const local: LocalJob = {
  jobId: 1234567890,
  pipelineId: 987654321,
  jobToken: "glcbt-local-abcdef0123456789",
  projectName: "demo",
  buildsDir: "builds",
  cacheDir: "cache",
  buildsDirIsShared: false,
  status: "running",
  startedAt: new Date("2026-01-02T03:04:05.678Z"),
  overrides: {},
};

const def = parseJob(`
variables:
  GREETING: hello
  DEPLOY_TOKEN: "s3cr3t-value-1"
  SHORT_SECRET: abc
job:
  image: registry.example/img:$GREETING
  services: [{name: db:1, alias: db, variables: {X: "1"}}]
  timeout: 10m
  variables:
    GREETING: hi
    MESSAGE: "$GREETING \${CI_JOB_NAME} $$NOT $UNKNOWN"
    LITERAL: {value: "$GREETING", expand: false}
  script: [true]
`, "job");

describe("buildJobVariables", () => {
  const vars = buildJobVariables(def, local);
  const get = (k: string) => vars.find((v) => v.key === k)?.value;

  it("sets the predefined variables a driver reads, with local values", () => {
    assert.equal(get("CI_JOB_ID"), "1234567890");
    assert.equal(get("CI_PROJECT_ID"), "1");
    assert.equal(get("CI_PROJECT_URL"), "http://localhost/local/demo");
    assert.equal(get("CI_PIPELINE_ID"), "987654321");
    assert.equal(get("CI_RUNNER_SHORT_TOKEN"), "localexec");
    assert.equal(get("CI_RUNNER_ID"), "1");
    assert.equal(get("CI_CONCURRENT_PROJECT_ID"), "0");
    assert.equal(get("CI_JOB_TIMEOUT"), "600");
    assert.equal(get("CI_JOB_IMAGE"), "registry.example/img:hi");
    assert.equal(get("CI_SERVER_URL"), "http://localhost");
    assert.equal(get("CI_JOB_STATUS"), "running");
    assert.equal(get("CI_JOB_NAME"), "job");
    assert.equal(get("CI_BUILDS_DIR"), "builds");
    assert.equal(get("CI_PROJECT_DIR"), "builds/local/demo");
    assert.equal(get("CI_JOB_STARTED_AT"), "2026-01-02T03:04:05Z");
  });

  it("lets job variables win over global ones and expands references", () => {
    assert.equal(get("GREETING"), "hi");
    assert.equal(vars.filter((v) => v.key === "GREETING").length, 1);
    assert.equal(get("MESSAGE"), "hi job $NOT $UNKNOWN");
    assert.equal(get("LITERAL"), "$GREETING");
  });

  it("lets overrides win and leaves CI_JOB_IMAGE out when there is no image", () => {
    const plain = parseJob("job: {script: [true], variables: {A: file}}", "job");
    const v = buildJobVariables(plain, { ...local, overrides: { A: "override" } });
    assert.equal(v.find((x) => x.key === "A")?.value, "override");
    assert.equal(v.some((x) => x.key === "CI_JOB_IMAGE"), false);
  });

  it("masks secret-looking names of at least 8 characters, and the job token", () => {
    const masked = vars.filter((v) => v.masked).map((v) => v.key).sort();
    assert.deepEqual(masked, ["CI_JOB_TOKEN", "DEPLOY_TOKEN"]);
    assert.deepEqual(tooShortToMask(def, {}), ["SHORT_SECRET"]);
  });

  it("lays out a shared builds dir with the short token and concurrent id", () => {
    assert.equal(projectDir({ ...local, buildsDir: "/b/", buildsDirIsShared: true }), "/b/localexec/0/local/demo");
  });

  it("builds CI_JOB_SERVICES as the runner does", () => {
    assert.equal(servicesJson(def, vars), '[{"name":"db:1","alias":"db","entrypoint":null,"command":null,"variables":[{"key":"X","value":"1"}]}]');
    assert.equal(servicesJson(parseJob("j: {script: [x]}", "j"), vars), "");
  });
});

describe("JobSession", () => {
  it("gives every call the protocol's environment, later entries winning", async () => {
    const session = await JobSession.create(tmpdir());
    try {
      const vars = buildJobVariables(def, local);
      const env = session.env({ HOME: "/home/x", TMPDIR: "/host-tmp", FROM_JOB_ENV: "host" }, vars, "", { FROM_JOB_ENV: "job_env" });
      assert.equal(env.HOME, "/home/x");
      assert.equal(env.TMPDIR, session.dir);
      assert.equal(env.BUILD_FAILURE_EXIT_CODE, "1");
      assert.equal(env.SYSTEM_FAILURE_EXIT_CODE, "2");
      assert.equal(env.BUILD_EXIT_CODE_FILE, `${session.dir}/build_exit_code`);
      assert.equal(env.JOB_RESPONSE_FILE, `${session.dir}/response.json`);
      assert.equal(env.FROM_JOB_ENV, "job_env");
      assert.equal(env.CUSTOM_ENV_CI_JOB_ID, "1234567890");
      assert.equal(env.CUSTOM_ENV_DEPLOY_TOKEN, "s3cr3t-value-1", "masked variables are passed too");
      assert.equal(env.CUSTOM_ENV_CI_JOB_SERVICES, "");
      await session.writePayload(jobPayload(def, local, vars));
      assert.equal(statSync(session.responseFile).mode & 0o777, 0o600);
      assert.equal(statSync(session.dir).mode & 0o777, 0o700);
    } finally {
      await session.remove();
    }
  });

  it("writes a payload of the runner's shape", () => {
    const payload = jobPayload(def, local, buildJobVariables(def, local)) as {
      id: number; runner_info: unknown; steps: Array<{ script: string[] }>; image: { name: string };
    };
    for (const key of ["id", "token", "job_info", "git_info", "runner_info", "variables", "steps", "image", "services", "artifacts", "cache", "dependencies", "features"]) {
      assert.ok(key in payload, key);
    }
    assert.equal(payload.id, 1234567890);
    assert.deepEqual(payload.runner_info, { timeout: 600 });
    assert.deepEqual(payload.steps[0].script, ["true"]);
    assert.equal(payload.image.name, "registry.example/img:$GREETING");
  });
});

describe("config stage output", () => {
  const defaults = { buildsDir: "builds", cacheDir: "cache", buildsDirIsShared: false, jobEnv: {} };
  it("accepts empty output and one JSON object, honouring its keys", () => {
    assert.deepEqual(parseConfigOutput("", defaults), defaults);
    assert.deepEqual(parseConfigOutput('\n{"builds_dir":"/b","cache_dir":"/c","hostname":"h","job_env":{"A":"1"},"driver":{"name":"d","version":"v"},"x":1}\n', defaults), {
      buildsDir: "/b", cacheDir: "/c", buildsDirIsShared: false, hostname: "h", jobEnv: { A: "1" }, driver: { name: "d", version: "v" },
    });
  });
  it("rejects anything else on stdout", () => {
    assert.match(parseConfigOutput('log line\n{"a":1}', defaults) as string, /error while parsing JSON output/);
    assert.match(parseConfigOutput('{"a":1}{"b":2}', defaults) as string, /error while parsing JSON output/);
    assert.match(parseConfigOutput("[1]", defaults) as string, /expected one JSON object/);
    assert.match(parseConfigOutput('{"job_env":{"A":1}}', defaults) as string, /"job_env" must be an object of strings/);
    assert.match(parseConfigOutput('{"shell":"pwsh"}', defaults) as string, /bash scripts only/);
  });
});

describe("masking", () => {
  it("masks values split across chunks and holds back only a possible prefix", () => {
    const m = new Masker(["s3cr3t-value"]);
    let out = m.push("token: s3cr");
    assert.equal(out, "token: ");
    out += m.push("3t-val");
    out += m.push("ue done s3");
    assert.equal(out, "token: [MASKED] done ");
    out += m.flush();
    assert.equal(out, "token: [MASKED] done s3");
  });

  it("masks lines exec writes itself and the stages' output", () => {
    let text = "";
    const log = new JobLog({ write: (c: string) => (text += c) }, false, ["hunter2-long"]);
    log.line("x hunter2-long y");
    const s = log.stream();
    s.write("a hunter2");
    s.write("-long b");
    s.end();
    log.error("Job failed: hunter2-long");
    assert.equal(text, "x [MASKED] y\na [MASKED] b\nERROR: Job failed: [MASKED]\n");
  });
});
