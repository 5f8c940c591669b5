// .gitlab-ci.yml → one job: defaults, variables merging, scripts, timeouts, and the one-line
// messages for job selection errors.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ExecInputError, loadJob, parseJob } from "../../src/exec/gitlab-ci.js";
import { formatGoDuration, parseTimeout } from "../../src/exec/timeout.js";

const inputError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ExecInputError, `expected ExecInputError, got ${String(err)}`);
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes("\n"), "the message is one line");
  return true;
};

describe("parseJob", () => {
  it("reads the setup guide's job", () => {
    const job = parseJob('test:\n  script:\n    - echo "It works!"\n    - for i in $(seq 1 30); do echo "."; sleep 1; done\n', "test");
    assert.deepEqual(job.script, ['echo "It works!"', 'for i in $(seq 1 30); do echo "."; sleep 1; done']);
    assert.equal(job.stage, "test");
    assert.equal(job.timeoutSeconds, 3600);
    assert.equal(job.image, undefined);
    assert.deepEqual(job.services, []);
    assert.equal(job.hasCache, false);
    assert.equal(job.hasArtifacts, false);
  });

  it("applies default: before the deprecated top-level keys, and the job's own keys before both", () => {
    const yaml = `
image: top:1
before_script: [echo top-before]
after_script: [echo top-after]
default:
  image: {name: "default:2", entrypoint: [""]}
  before_script: [echo default-before]
  services: [postgres:16, {name: redis:7, alias: cache, command: [redis-server]}]
  timeout: 1h 30m
a:
  script: echo a
b:
  image: own:3
  before_script: [echo own-before]
  after_script: []
  timeout: 10m
  script: [echo b]
`;
    const a = parseJob(yaml, "a");
    assert.deepEqual(a.image, { name: "default:2", entrypoint: [""] });
    assert.deepEqual(a.beforeScript, ["echo default-before"]);
    assert.deepEqual(a.afterScript, ["echo top-after"]);
    assert.equal(a.timeoutSeconds, 5400);
    assert.deepEqual(a.services, [{ name: "postgres:16" }, { name: "redis:7", alias: "cache", command: ["redis-server"] }]);
    const b = parseJob(yaml, "b");
    assert.deepEqual(b.image, { name: "own:3" });
    assert.deepEqual(b.beforeScript, ["echo own-before"]);
    assert.deepEqual(b.afterScript, []);
    assert.equal(b.timeoutSeconds, 600);
  });

  it("merges global and job variables in order, with {value, expand} forms and scalars as strings", () => {
    const job = parseJob(`
variables:
  A: global-a
  B: "2"
  N: 3
job:
  variables:
    A: job-a
    RAW: {value: "$A", expand: false}
    EMPTY:
  script: [env]
`, "job");
    assert.deepEqual(job.variables, [
      { key: "A", value: "global-a", expand: true },
      { key: "B", value: "2", expand: true },
      { key: "N", value: "3", expand: true },
      { key: "A", value: "job-a", expand: true },
      { key: "RAW", value: "$A", expand: false },
      { key: "EMPTY", value: "", expand: true },
    ]);
  });

  it("flattens nested script lists from YAML anchors and notes cache and artifacts", () => {
    const job = parseJob(`
.setup: &setup [echo one, echo two]
job:
  script: [*setup, echo three]
  cache: {key: deps, paths: [node_modules/]}
  artifacts: {paths: [dist/]}
`, "job");
    assert.deepEqual(job.script, ["echo one", "echo two", "echo three"]);
    assert.equal(job.hasCache, true);
    assert.equal(job.hasArtifacts, true);
  });

  it("lists the jobs that exist when the job is not found, leaving out hidden jobs and keywords", () => {
    const yaml = "stages: [test]\nvariables: {A: b}\ndefault: {image: x}\ninclude: other.yml\nworkflow: {}\n.hidden: {script: [x]}\nbuild: {script: [make]}\ntest: {script: [make test]}\n";
    assert.throws(() => parseJob(yaml, "deploy"), inputError(/job "deploy" not found in ".gitlab-ci.yml": no such job; jobs in this file: build, test; jobs from include: are not loaded/));
    assert.throws(() => parseJob(yaml, ".hidden"), inputError(/hidden jobs .* cannot be run; jobs in this file: build, test/));
    assert.throws(() => parseJob(yaml, "variables"), inputError(/"variables" is a keyword, not a job/));
    assert.throws(() => parseJob("stages: [a]\n", "x"), inputError(/this file defines no jobs/));
  });

  it("rejects what it cannot run with a clear one-line message", () => {
    assert.throws(() => parseJob("job:\n  extends: .base\n  script: [x]\n", "job"), inputError(/uses extends:, which fargate exec does not support/));
    assert.throws(() => parseJob("job:\n  stage: test\n", "job"), inputError(/has no script/));
    assert.throws(() => parseJob("job:\n  script: [x]\n  timeout: soon\n", "job"), inputError(/key timeout: cannot read "soon" as a duration/));
    assert.throws(() => parseJob("job: {script: [x]\n", "job"), inputError(/invalid YAML at line \d+/));
    assert.throws(() => parseJob("- a\n- b\n", "job"), inputError(/top level must be a mapping/));
    assert.throws(() => parseJob("job:\n  script: [!reference [.a, script]]\n", "job"), inputError(/!reference tags are not supported/));
    assert.throws(() => parseJob("job:\n  script: [{a: b}]\n", "job"), inputError(/every line must be a string/));
  });
});

describe("loadJob", () => {
  it("reports a missing file in one line", () => {
    assert.throws(() => loadJob("/nonexistent/.gitlab-ci.yml", "test"), inputError(/reading CI file "\/nonexistent\/.gitlab-ci.yml": no such file/));
  });

  it("reads a file from disk", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "exec-yaml-"));
    const file = path.join(dir, ".gitlab-ci.yml");
    writeFileSync(file, "test:\n  script: echo hi\n");
    assert.deepEqual(loadJob(file, "test").script, ["echo hi"]);
  });
});

describe("timeouts", () => {
  it("parses GitLab's duration forms", () => {
    assert.equal(parseTimeout("10m"), 600);
    assert.equal(parseTimeout("1h 30m"), 5400);
    assert.equal(parseTimeout("3 hours 30 minutes"), 12600);
    assert.equal(parseTimeout("2h30m15s"), 9015);
    assert.equal(parseTimeout("1 day"), 86400);
    assert.equal(parseTimeout("3600"), 3600);
    assert.equal(parseTimeout(90), 90);
    assert.equal(parseTimeout("0"), undefined);
    assert.equal(parseTimeout("10 parsecs"), undefined);
    assert.equal(parseTimeout(""), undefined);
  });

  it("renders durations like Go", () => {
    assert.equal(formatGoDuration(3600), "1h0m0s");
    assert.equal(formatGoDuration(90), "1m30s");
    assert.equal(formatGoDuration(2), "2s");
  });
});
