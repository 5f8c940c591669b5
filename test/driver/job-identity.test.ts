// The job id: the Go driver's scheme, checked against an independently computed sha256.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { readJobIdentity } from "../../src/job.js";

const ENV = {
  CUSTOM_ENV_CI_JOB_ID: "1234",
  CUSTOM_ENV_CI_PROJECT_ID: "55",
  CUSTOM_ENV_CI_PROJECT_URL: "https://gitlab.example.com/group/project",
  CUSTOM_ENV_CI_PIPELINE_ID: "987",
  CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: "t0k3nABCD",
  CUSTOM_ENV_CI_RUNNER_ID: "12",
  CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID: "0",
  CUSTOM_ENV_CI_JOB_TIMEOUT: "3600",
  CUSTOM_ENV_CI_SERVER_URL: "https://gitlab.example.com",
};

describe("job identity", () => {
  it("uses <short token>-<sha256 of 'project url-pipeline id-job id'>", () => {
    const expected =
      "t0k3nABCD-" + createHash("sha256").update("https://gitlab.example.com/group/project-987-1234", "utf8").digest("hex");
    const job = readJobIdentity(ENV);
    assert.equal(job.id, expected);
    assert.match(job.id, /^t0k3nABCD-[0-9a-f]{64}$/);
  });

  it("reads the other job facts", () => {
    const job = readJobIdentity(ENV);
    assert.equal(job.jobId, "1234");
    assert.equal(job.projectId, "55");
    assert.equal(job.pipelineId, "987");
    assert.equal(job.runnerShortToken, "t0k3nABCD");
    assert.equal(job.runnerId, "12");
    assert.equal(job.concurrentProjectId, "0");
    assert.equal(job.jobTimeoutSeconds, 3600);
    assert.equal(job.serverUrl, "https://gitlab.example.com");
    assert.equal(job.jobImage, undefined);
  });

  it("defaults the job timeout to the runner's 7200 s", () => {
    assert.equal(readJobIdentity({ ...ENV, CUSTOM_ENV_CI_JOB_TIMEOUT: undefined }).jobTimeoutSeconds, 7200);
  });

  it("rejects a missing or non-numeric CI_JOB_ID with a clear message", () => {
    assert.throws(() => readJobIdentity({ ...ENV, CUSTOM_ENV_CI_JOB_ID: "12a" }), {
      code: "job_env_invalid",
      message: /^reading the job's identity: CUSTOM_ENV_CI_JOB_ID must be a number, found "12a"; the driver must be started by GitLab Runner/,
    });
    assert.throws(() => readJobIdentity({ ...ENV, CUSTOM_ENV_CI_JOB_ID: undefined }), /CUSTOM_ENV_CI_JOB_ID is not set/);
  });

  it("never lets the short token put a path into the id", () => {
    const job = readJobIdentity({ ...ENV, CUSTOM_ENV_CI_RUNNER_SHORT_TOKEN: "../../etc" });
    assert.ok(!job.id.includes("/"));
    assert.ok(!job.id.startsWith("."));
  });
});
