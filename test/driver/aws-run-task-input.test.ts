// RunTask input building: the Go driver's request shape, the job tags and the startedBy marker.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRunTaskInput, jobTags, startedByMarker, type StartTaskRequest } from "../../src/aws/run-task-input.js";

const request: StartTaskRequest = {
  cluster: "test-cluster",
  taskDefinition: "test-task:1",
  subnet: "subnet-xxxxxx",
  securityGroups: ["sg-xxxxxxxxxxxxx", "sg-2"],
  enablePublicIp: false,
  platformVersion: undefined,
  publicKey: "ssh-ed25519 AAAAkey gitlab-job-42",
  labels: { jobId: "42", projectId: "7", pipelineId: "99", runnerShortToken: "abcDEF123", runnerId: "5" },
};

describe("buildRunTaskInput", () => {
  it("builds the Go driver's request with no launch type and no capacity provider strategy", () => {
    const input = buildRunTaskInput(request);
    assert.equal(input.cluster, "test-cluster");
    assert.equal(input.taskDefinition, "test-task:1");
    assert.equal(input.count, 1);
    assert.equal(input.launchType, undefined);
    assert.equal(input.capacityProviderStrategy, undefined);
    assert.equal("platformVersion" in input, false);
    assert.deepEqual(input.networkConfiguration, {
      awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx", "sg-2"], assignPublicIp: "DISABLED" },
    });
    assert.deepEqual(input.overrides?.containerOverrides, [
      { name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: "ssh-ed25519 AAAAkey gitlab-job-42" }] },
    ]);
    assert.equal(input.startedBy, "gitlab-fargate-abcDEF123");
  });

  it("enables the public IP and sets the platform version when configured", () => {
    const input = buildRunTaskInput({ ...request, enablePublicIp: true, platformVersion: "1.4.0" });
    assert.equal(input.networkConfiguration?.awsvpcConfiguration?.assignPublicIp, "ENABLED");
    assert.equal(input.platformVersion, "1.4.0");
  });
});

describe("jobTags", () => {
  it("tags job, project, pipeline, runner and driver", () => {
    assert.deepEqual(jobTags(request.labels), [
      { key: "gitlab-runner:job-id", value: "42" },
      { key: "gitlab-runner:project-id", value: "7" },
      { key: "gitlab-runner:pipeline-id", value: "99" },
      { key: "gitlab-runner:runner", value: "abcDEF123" },
      { key: "gitlab-runner:runner-id", value: "5" },
      { key: "gitlab-runner:driver", value: "gitlab-fargate-driver" },
    ]);
  });

  it("leaves out missing values and replaces characters ECS refuses", () => {
    const tags = jobTags({ jobId: "1", projectId: undefined, pipelineId: "", runnerShortToken: "a#b" });
    assert.deepEqual(
      tags.map((t) => t.key),
      ["gitlab-runner:job-id", "gitlab-runner:runner", "gitlab-runner:driver"],
    );
    assert.equal(tags[1].value, "a_b");
  });
});

describe("startedByMarker", () => {
  it("keeps only letters, digits, - and _", () => {
    assert.equal(startedByMarker("ab/c d-e_f"), "gitlab-fargate-abcd-e_f");
    assert.match(startedByMarker("x".repeat(300)), /^[A-Za-z0-9_-]{1,128}$/);
  });
  it("falls back to a driver-wide marker without a token", () => {
    assert.equal(startedByMarker(undefined), "gitlab-fargate-driver");
    assert.equal(startedByMarker("%%"), "gitlab-fargate-driver");
  });
});
