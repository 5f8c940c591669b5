// The awscli (botocore: an independent client nobody here wrote) against the real emulator: the
// seed document's run-task reaches RUNNING and its public IP is found through EC2; misuse shows
// AWS's error names and messages on stderr.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { awscliFor, awscliSkipReason, type Awscli } from "../support/awscli.js";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";

const skip = awscliSkipReason();
let emu: EmulatorHandle;
let cli: Awscli;
const aws = (...args: string[]) => cli.run(...args);
const awsJson = (...args: string[]) => cli.json(...args);

before(async () => {
  if (skip) return;
  emu = await startEmulator({ args: ["--no-throttle"] });
  cli = awscliFor(emu.endpoint);
});

after(async () => {
  await emu?.stop();
  cli?.dispose();
});

test("the seed's run-task reaches RUNNING and ec2 describe-network-interfaces finds its public IP", { skip }, async () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorAwscliTestKey awscli";
  const run = await awsJson(
    "ecs",
    "run-task",
    "--cluster",
    "test-cluster",
    "--task-definition",
    "test-task:1",
    "--network-configuration",
    "awsvpcConfiguration={subnets=[subnet-xxxxxx],securityGroups=[sg-xxxxxxxxxxxxx],assignPublicIp=ENABLED}",
    "--overrides",
    JSON.stringify({ containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: key }] }] }),
  );
  assert.deepEqual(run.failures, []);
  const arn: string = run.tasks[0].taskArn;
  let task;
  for (let i = 0; i < 100; i++) {
    task = (await awsJson("ecs", "describe-tasks", "--cluster", "test-cluster", "--tasks", arn)).tasks[0];
    if (task.lastStatus === "RUNNING") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(task.lastStatus, "RUNNING");
  const eni = task.attachments[0].details.find((d: { name: string }) => d.name === "networkInterfaceId").value;
  const ni = await awsJson("ec2", "describe-network-interfaces", "--network-interface-ids", eni);
  const publicIp = ni.NetworkInterfaces[0].Association.PublicIp;
  assert.match(publicIp, /^127\./);
  const mine = (await emu.tasks()).find((t) => t.taskArn === arn)!;
  assert.equal(mine.publicIp, publicIp);

  const listed = await awsJson("ecs", "list-tasks", "--cluster", "test-cluster");
  assert.ok(listed.taskArns.includes(arn));
  const def = await awsJson("ecs", "describe-task-definition", "--task-definition", "test-task:1");
  assert.equal(def.taskDefinition.containerDefinitions[0].name, "ci-coordinator");

  const stop = await awsJson("ecs", "stop-task", "--cluster", "test-cluster", "--task", arn, "--reason", "awscli test");
  assert.equal(stop.task.desiredStatus, "STOPPED");
  assert.equal(stop.task.stoppedReason, "awscli test");
});

const net = (subnet: string, group: string) => `awsvpcConfiguration={subnets=[${subnet}],securityGroups=[${group}]}`;
const seedRunTask = (...extra: string[]) => ["ecs", "run-task", "--cluster", "test-cluster", "--task-definition", "test-task:1", ...extra];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs the awscli, expecting it to fail with AWS's error name (and message, when given) on stderr. */
async function assertAwsError(args: string[], name: string, message?: string | RegExp): Promise<void> {
  const r = await aws(...args);
  assert.notEqual(r.code, 0, args.join(" "));
  assert.match(r.stderr, new RegExp(`An error occurred \\(${escape(name)}\\) when calling the \\w+ operation`), r.stderr);
  if (typeof message === "string") assert.ok(r.stderr.trimEnd().endsWith(`operation: ${message}`), `${args.join(" ")}: ${r.stderr}`);
  else if (message) assert.match(r.stderr, message, r.stderr);
}

test("error cases exit non-zero with AWS's error name on stderr", { skip }, async () => {
  const cases: Array<[string[], string]> = [
    [["ecs", "run-task", "--cluster", "nope", "--task-definition", "test-task:1"], "ClusterNotFoundException"],
    [seedRunTask(), "InvalidParameterException"],
    [["ecs", "run-task", "--cluster", "test-cluster", "--task-definition", "nope:1"], "ClientException"],
    [["ecs", "describe-task-definition", "--task-definition", "nope:1"], "ClientException"],
    [["ecs", "stop-task", "--cluster", "test-cluster", "--task", "0123456789abcdef0123456789abcdef"], "InvalidParameterException"],
    [["ec2", "describe-network-interfaces", "--network-interface-ids", "eni-0123456789abcdef0"], "InvalidNetworkInterfaceID.NotFound"],
  ];
  for (const [args, name] of cases) await assertAwsError(args, name);
});

test("RunTask misuse shows AWS's message on stderr", { skip }, async () => {
  await awsJson("ecs", "create-cluster", "--cluster-name", "no-default-strategy");
  const seedNet = net("subnet-xxxxxx", "sg-xxxxxxxxxxxxx");
  const cases: Array<[string[], string | RegExp]> = [
    [["ecs", "run-task", "--cluster", "no-default-strategy", "--task-definition", "test-task:1", "--network-configuration", seedNet], "No Container Instances were found in your cluster."],
    [seedRunTask("--network-configuration", seedNet, "--overrides", JSON.stringify({ containerOverrides: [{ name: "sidecar" }] })), "Override for container named sidecar is not a container in the TaskDefinition."],
    [seedRunTask("--network-configuration", net("subnet-0nope", "sg-xxxxxxxxxxxxx")), /Error retrieving subnet information for \[subnet-0nope\]: The subnet ID 'subnet-0nope' does not exist \(Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID\.NotFound;/],
    [seedRunTask("--network-configuration", net("subnet-xxxxxx", "sg-0nope")), /Error retrieving security group information for \[sg-0nope\]: The security group 'sg-0nope' does not exist \(Service: AmazonEC2; Status Code: 400; Error Code: InvalidGroup\.NotFound;/],
    [seedRunTask("--network-configuration", seedNet, "--overrides", JSON.stringify({ cpu: "256", memory: "1536" })), "No Fargate configuration exists for given values: 256 CPU, 1536 memory. See the Amazon ECS documentation for the valid values."],
  ];
  for (const [args, message] of cases) await assertAwsError(args, "InvalidParameterException", message);
});

test("describe-tasks of an unknown task lists it under failures with reason MISSING", { skip }, async () => {
  const unknown = "0123456789abcdef0123456789abcdef";
  const out = await awsJson("ecs", "describe-tasks", "--cluster", "test-cluster", "--tasks", unknown);
  assert.deepEqual(out.tasks, []);
  assert.deepEqual(out.failures, [{ arn: `arn:aws:ecs:us-east-2:123456789012:task/test-cluster/${unknown}`, reason: "MISSING" }]);
});

test("an injected ThrottlingException is retried by the awscli", { skip }, async () => {
  await emu.addFaults([{ op: "ListTasks", error: "ThrottlingException", times: 1 }]);
  const out = await awsJson("ecs", "list-tasks", "--cluster", "test-cluster");
  assert.ok(Array.isArray(out.taskArns));
  const reqs = (await emu.requests()) as Array<{ operation: string; outcome: string }>;
  const lt = reqs.filter((r) => r.operation === "ListTasks").map((r) => r.outcome);
  assert.deepEqual(lt.slice(-2), ["ThrottlingException", "ok"]);
});
