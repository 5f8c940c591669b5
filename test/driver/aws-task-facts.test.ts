// Reading DescribeTasks/RunTask shapes: addresses, stop reasons, failure text, polling decisions.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Task } from "@aws-sdk/client-ecs";
import { isThrottling, MAX_POLL_INTERVAL_MS, nextPollDelay, POLL_INTERVAL_MS, seconds } from "../../src/aws/polling.js";
import {
  describeStopReason,
  formatFailure,
  isCapacityFailure,
  isStopping,
  networkInterfaceIdOf,
  privateAddressOf,
  taskIdOf,
} from "../../src/aws/task-facts.js";

const runningTask: Task = {
  taskArn: "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/4f2c0123456789abcdef",
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  attachments: [
    {
      type: "ElasticNetworkInterface",
      status: "ATTACHED",
      details: [
        { name: "subnetId", value: "subnet-xxxxxx" },
        { name: "networkInterfaceId", value: "eni-0abc" },
        { name: "macAddress", value: "0a:00:00:00:00:01" },
        { name: "privateIPv4Address", value: "127.0.3.4" },
      ],
    },
  ],
  containers: [{ name: "ci-coordinator", networkInterfaces: [{ privateIpv4Address: "127.0.9.9" }] }],
};

describe("task facts", () => {
  it("reads the task id from its ARN", () => {
    assert.equal(taskIdOf(runningTask.taskArn!), "4f2c0123456789abcdef");
  });

  it("takes the private address from the ENI attachment first, then from the containers", () => {
    assert.equal(privateAddressOf(runningTask), "127.0.3.4");
    assert.equal(privateAddressOf({ ...runningTask, attachments: [] }), "127.0.9.9");
    assert.equal(privateAddressOf({ lastStatus: "PENDING" }), undefined);
    assert.equal(networkInterfaceIdOf(runningTask), "eni-0abc");
  });

  it("describes why a task stopped, with container reasons and exit codes", () => {
    const stopped: Task = {
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: "TaskFailedToStart",
      stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
      containers: [{ name: "ci-coordinator", reason: "CannotPullContainerError: not found", exitCode: undefined }],
    };
    assert.equal(isStopping(stopped), true);
    assert.equal(
      describeStopReason(stopped),
      "TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s); " +
        "container ci-coordinator: CannotPullContainerError: not found",
    );
    assert.equal(
      describeStopReason({ lastStatus: "STOPPED", stopCode: "SpotInterruption", containers: [{ name: "c", exitCode: 143 }] }),
      "SpotInterruption; container c: exit code 143",
    );
  });

  it("knows which statuses will never reach RUNNING", () => {
    assert.equal(isStopping(runningTask), false);
    assert.equal(isStopping({ lastStatus: "PENDING", desiredStatus: "RUNNING" }), false);
    assert.equal(isStopping({ lastStatus: "DEPROVISIONING" }), true);
    assert.equal(isStopping({ lastStatus: "PENDING", desiredStatus: "STOPPED", stopCode: "UserInitiated" }), true);
  });

  it("formats RunTask failures and tells capacity failures apart", () => {
    const capacity = { arn: "arn:x", reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone" };
    assert.equal(isCapacityFailure(capacity), true);
    assert.equal(isCapacityFailure({ reason: "RESOURCE:ENI" }), true);
    assert.equal(isCapacityFailure({ reason: "MISSING" }), false);
    assert.equal(formatFailure({ reason: "AGENT", detail: "x" }), "AGENT (x)");
    assert.equal(formatFailure({}), "unknown failure");
  });
});

describe("polling decisions", () => {
  it("polls every 500 ms and backs off only on throttling, up to a cap", () => {
    assert.equal(nextPollDelay(POLL_INTERVAL_MS, false), 500);
    assert.equal(nextPollDelay(500, true), 1000);
    assert.equal(nextPollDelay(4000, true), MAX_POLL_INTERVAL_MS);
    assert.equal(nextPollDelay(MAX_POLL_INTERVAL_MS, false), 500);
  });
  it("recognises throttling errors by name", () => {
    assert.equal(isThrottling(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })), true);
    assert.equal(isThrottling(Object.assign(new Error("x"), { name: "RequestLimitExceeded" })), true);
    assert.equal(isThrottling(new Error("boom")), false);
    assert.equal(isThrottling(undefined), false);
  });
  it("prints seconds with one decimal", () => {
    assert.equal(seconds(12345), "12.3");
  });
});
