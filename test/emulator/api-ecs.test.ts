// ECS through the real AWS SDK v3 over HTTP against the real emulator process: every operation,
// the fields clients rely on, and every misuse answered with AWS's error name and message.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sdkClients, waitForStatus } from "../../emulator/testing/sdk-clients.js";

const cluster = "test-cluster";
const net = { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"], assignPublicIp: "ENABLED" as const } };
const seedRun = (extra: Partial<RunTaskCommandInput> = {}): RunTaskCommandInput => ({
  cluster,
  taskDefinition: "test-task:1",
  networkConfiguration: net,
  overrides: { containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmulatorTestKeyOnly test" }] }] },
  ...extra,
});

let emu: EmulatorHandle;
let ecs: ECSClient;

async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

before(async () => {
  emu = await startEmulator({ args: ["--no-throttle"] });
  ecs = sdkClients(emu.endpoint, { maxAttempts: 1 }).ecs;
});

after(async () => {
  ecs?.destroy();
  await emu?.stop();
});

describe("clusters", () => {
  test("the seeded cluster has FARGATE and FARGATE_SPOT with FARGATE as default strategy", async () => {
    const out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster, "nope"] }));
    assert.equal(out.clusters?.length, 1);
    const c = out.clusters![0]!;
    assert.equal(c.clusterArn, "arn:aws:ecs:us-east-2:123456789012:cluster/test-cluster");
    assert.equal(c.status, "ACTIVE");
    assert.deepEqual(c.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
    assert.equal(c.defaultCapacityProviderStrategy?.[0]?.capacityProvider, "FARGATE");
    assert.deepEqual(out.failures, [{ arn: "arn:aws:ecs:us-east-2:123456789012:cluster/nope", reason: "MISSING" }]);
  });

  test("CreateCluster is idempotent and tags show with include TAGS", async () => {
    const a = await ecs.send(new CreateClusterCommand({ clusterName: "made", capacityProviders: ["FARGATE"], tags: [{ key: "team", value: "ci" }] }));
    const b = await ecs.send(new CreateClusterCommand({ clusterName: "made" }));
    assert.equal(a.cluster?.clusterArn, b.cluster?.clusterArn);
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ["made"], include: ["TAGS"] }));
    assert.deepEqual(out.clusters?.[0]?.tags, [{ key: "team", value: "ci" }]);
    await rejects(ecs.send(new CreateClusterCommand({ clusterName: "bad", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT" }] })), "InvalidParameterException");
  });
});

describe("task definitions", () => {
  test("the seeded test-task:1", async () => {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "test-task:1" }));
    const d = out.taskDefinition!;
    assert.equal(d.taskDefinitionArn, "arn:aws:ecs:us-east-2:123456789012:task-definition/test-task:1");
    assert.equal(d.networkMode, "awsvpc");
    assert.deepEqual(d.requiresCompatibilities, ["FARGATE"]);
    assert.equal(d.cpu, "256");
    assert.equal(d.memory, "512");
    const c = d.containerDefinitions![0]!;
    assert.equal(c.name, "ci-coordinator");
    assert.equal(c.image, "registry.gitlab.com/tmaczukin-test-projects/fargate-driver-debian:latest");
    assert.equal(c.essential, true);
    assert.equal(c.portMappings?.[0]?.containerPort, 22);
    assert.equal(c.portMappings?.[0]?.protocol, "tcp");
  });

  test("register, describe by family/revision/ARN, list, deregister", async () => {
    const reg = (cpu: string, memory: string) =>
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "api-fam",
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu,
          memory,
          containerDefinitions: [{ name: "ci-coordinator", image: "debian", essential: true, portMappings: [{ containerPort: 2222 }] }],
          tags: [{ key: "k", value: "v" }],
        }),
      );
    const r1 = await reg("512", "1024");
    const r2 = await reg("1 vCPU", "2 GB");
    assert.equal(r1.taskDefinition?.revision, 1);
    assert.equal(r2.taskDefinition?.revision, 2);
    assert.equal(r2.taskDefinition?.cpu, "1024");
    assert.equal((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "api-fam" }))).taskDefinition?.revision, 2);
    const byArn = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: r1.taskDefinition!.taskDefinitionArn!, include: ["TAGS"] }));
    assert.equal(byArn.taskDefinition?.revision, 1);
    assert.deepEqual(byArn.tags, [{ key: "k", value: "v" }]);
    const page1 = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "api-fam", sort: "DESC", maxResults: 1 }));
    assert.deepEqual(page1.taskDefinitionArns, [r2.taskDefinition!.taskDefinitionArn]);
    const page2 = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "api-fam", sort: "DESC", maxResults: 1, nextToken: page1.nextToken }));
    assert.deepEqual(page2.taskDefinitionArns, [r1.taskDefinition!.taskDefinitionArn]);
    assert.equal(page2.nextToken, undefined);
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "api-fam:1" }));
    assert.equal(dereg.taskDefinition?.status, "INACTIVE");
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "api-fam", status: "INACTIVE" }));
    assert.deepEqual(inactive.taskDefinitionArns, [r1.taskDefinition!.taskDefinitionArn]);
    await rejects(ecs.send(new RunTaskCommand(seedRun({ taskDefinition: "api-fam:1" }))), "ClientException", "TaskDefinition is inactive");
  });

  test("invalid CPU/memory pairs and unknown definitions fail as on AWS", async () => {
    for (const memory of ["4096", "1536"]) {
      await rejects(
        ecs.send(new RegisterTaskDefinitionCommand({ family: "bad", requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", cpu: "256", memory, containerDefinitions: [{ name: "a", image: "b" }] })),
        "ClientException",
        `No Fargate configuration exists for given values: 256 CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
    }
    await rejects(
      ecs.send(new RegisterTaskDefinitionCommand({ family: "bad", requiresCompatibilities: ["FARGATE"], networkMode: "bridge", cpu: "256", memory: "512", containerDefinitions: [{ name: "a", image: "b" }] })),
      "ClientException",
      /awsvpc/,
    );
    await rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "nope:1" })), "ClientException", "Unable to describe task definition.");
  });
});

describe("tasks", () => {
  test("RunTask -> RUNNING with the fields clients rely on, then StopTask -> STOPPED", async () => {
    const run = await ecs.send(new RunTaskCommand(seedRun({ startedBy: "api-test", tags: [{ key: "job", value: "42" }], platformVersion: "LATEST" })));
    assert.deepEqual(run.failures, []);
    const t0 = run.tasks![0]!;
    assert.equal(t0.lastStatus, "PROVISIONING");
    assert.equal(t0.desiredStatus, "RUNNING");
    assert.equal(t0.launchType, "FARGATE");
    assert.equal(t0.capacityProviderName, "FARGATE");
    assert.equal(t0.platformVersion, "1.4.0");
    assert.equal(t0.startedBy, "api-test");
    assert.equal(t0.group, "family:test-task");
    assert.equal(t0.cpu, "256");
    assert.equal(t0.memory, "512");
    assert.equal(t0.availabilityZone, "us-east-2a");
    assert.ok(t0.createdAt instanceof Date);
    assert.match(t0.taskArn!, /^arn:aws:ecs:us-east-2:123456789012:task\/test-cluster\/[0-9a-f]{32}$/);
    assert.equal(t0.overrides?.containerOverrides?.[0]?.name, "ci-coordinator");
    assert.deepEqual(t0.tags, [{ key: "job", value: "42" }]);

    const t = await waitForStatus(ecs, cluster, t0.taskArn!, ["RUNNING"]);
    assert.ok((t.version ?? 0) > (t0.version ?? 0));
    const att = t.attachments![0]!;
    assert.equal(att.type, "ElasticNetworkInterface");
    assert.equal(att.status, "ATTACHED");
    const detail = Object.fromEntries(att.details!.map((x) => [x.name, x.value]));
    assert.deepEqual(Object.keys(detail).sort(), ["macAddress", "networkInterfaceId", "privateDnsName", "privateIPv4Address", "subnetId"]);
    assert.match(detail.privateIPv4Address!, /^127\.\d+\.\d+\.\d+$/);
    assert.notEqual(detail.privateIPv4Address, "127.0.0.1");
    assert.equal(detail.subnetId, "subnet-xxxxxx");
    assert.match(detail.networkInterfaceId!, /^eni-[0-9a-f]{17}$/);
    const c = t.containers![0]!;
    assert.equal(c.lastStatus, "RUNNING");
    assert.deepEqual(c.networkInterfaces, [{ attachmentId: att.id, privateIpv4Address: detail.privateIPv4Address }]);
    for (const k of ["createdAt", "connectivityAt", "pullStartedAt", "pullStoppedAt", "startedAt"] as const) assert.ok(t[k] instanceof Date, k);
    assert.ok(t.pullStartedAt! <= t.pullStoppedAt! && t.pullStoppedAt! <= t.startedAt!);
    assert.deepEqual(t.tags, [{ key: "job", value: "42" }]);
    const noTags = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [t0.taskArn!] }));
    assert.deepEqual(noTags.tasks?.[0]?.tags ?? [], []);

    const stop = await ecs.send(new StopTaskCommand({ cluster, task: t0.taskArn!, reason: "api test done" }));
    assert.equal(stop.task?.desiredStatus, "STOPPED");
    assert.equal(stop.task?.stopCode, "UserInitiated");
    assert.equal(stop.task?.stoppedReason, "api test done");
    const s = await waitForStatus(ecs, cluster, t0.taskArn!, ["STOPPED"]);
    assert.ok([143, 137].includes(s.containers?.[0]?.exitCode ?? -1), "SIGTERM (or SIGKILL after the scaled stopTimeout on a loaded machine)");
    assert.equal(s.attachments?.[0]?.status, "DETACHED");
    for (const k of ["stoppingAt", "executionStoppedAt", "stoppedAt"] as const) assert.ok(s[k] instanceof Date, k);
    assert.ok(s.stoppingAt! <= s.stoppedAt!);
  });

  test("StopTask without a reason uses AWS's default", async () => {
    const run = await ecs.send(new RunTaskCommand(seedRun()));
    const stop = await ecs.send(new StopTaskCommand({ cluster, task: run.tasks![0]!.taskArn! }));
    assert.equal(stop.task?.stoppedReason, "Task stopped by user");
  });

  test("ListTasks filters by family, startedBy and desiredStatus and paginates", async () => {
    const a = await ecs.send(new RunTaskCommand(seedRun({ startedBy: "lister", count: 3 })));
    assert.equal(a.tasks?.length, 3);
    const arns = a.tasks!.map((t) => t.taskArn!);
    const mine = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister" }));
    assert.deepEqual(mine.taskArns, arns);
    const p1 = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister", maxResults: 2 }));
    assert.equal(p1.taskArns?.length, 2);
    const p2 = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister", maxResults: 2, nextToken: p1.nextToken }));
    assert.deepEqual([...p1.taskArns!, ...p2.taskArns!], arns);
    assert.ok((await ecs.send(new ListTasksCommand({ cluster, family: "test-task" }))).taskArns!.length >= 3);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ cluster, family: "other" }))).taskArns, []);
    await ecs.send(new StopTaskCommand({ cluster, task: arns[0]! }));
    const running = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister" }));
    assert.deepEqual(running.taskArns, arns.slice(1));
    const stopped = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister", desiredStatus: "STOPPED" }));
    assert.deepEqual(stopped.taskArns, [arns[0]]);
    const pending = await ecs.send(new ListTasksCommand({ cluster, startedBy: "lister", desiredStatus: "PENDING" }));
    assert.deepEqual(pending.taskArns, [], "PENDING is never a task's desiredStatus on Fargate: ListTasks returns none");
    await rejects(ecs.send(new ListTasksCommand({ cluster: "nope" })), "ClusterNotFoundException", "Cluster not found.");
    for (const arn of arns.slice(1)) await ecs.send(new StopTaskCommand({ cluster, task: arn }));
  });

  test("a capacity provider strategy picks FARGATE_SPOT; launchType FARGATE has no provider", async () => {
    const spot = await ecs.send(new RunTaskCommand(seedRun({ capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] })));
    assert.equal(spot.tasks?.[0]?.capacityProviderName, "FARGATE_SPOT");
    const lt = await ecs.send(new RunTaskCommand(seedRun({ launchType: "FARGATE" })));
    assert.equal(lt.tasks?.[0]?.capacityProviderName, undefined);
    assert.equal(lt.tasks?.[0]?.launchType, "FARGATE");
    for (const t of [...spot.tasks!, ...lt.tasks!]) await ecs.send(new StopTaskCommand({ cluster, task: t.taskArn! }));
  });

  test("RunTask is idempotent per clientToken; a reused token with other parameters is a ConflictException", async () => {
    const a = await ecs.send(new RunTaskCommand(seedRun({ clientToken: "token-1", startedBy: "idem" })));
    const b = await ecs.send(new RunTaskCommand(seedRun({ clientToken: "token-1", startedBy: "idem" })));
    assert.equal(b.tasks?.[0]?.taskArn, a.tasks?.[0]?.taskArn);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster, startedBy: "idem" }))).taskArns?.length, 1);
    await assert.rejects(ecs.send(new RunTaskCommand(seedRun({ clientToken: "token-1", startedBy: "other" }))), (e: Error & { resourceIds?: string[] }) => {
      assert.equal(e.name, "ConflictException");
      assert.deepEqual(e.resourceIds, [a.tasks![0]!.taskArn]);
      return true;
    });
    await ecs.send(new StopTaskCommand({ cluster, task: a.tasks![0]!.taskArn! }));
  });

  test("DescribeTasks reports unknown tasks as MISSING", async () => {
    const arn = "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/00000000000000000000000000000000";
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }));
    assert.deepEqual(out.tasks, []);
    assert.deepEqual(out.failures, [{ arn, reason: "MISSING" }]);
  });
});

describe("tags", () => {
  test("TagResource, ListTagsForResource, UntagResource on a task, a cluster and a task definition", async () => {
    const run = await ecs.send(new RunTaskCommand(seedRun()));
    const taskArn = run.tasks![0]!.taskArn!;
    for (const arn of [taskArn, "arn:aws:ecs:us-east-2:123456789012:cluster/test-cluster", "arn:aws:ecs:us-east-2:123456789012:task-definition/test-task:1"]) {
      await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }] }));
      await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "a", value: "3" }] }));
      assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ key: "a", value: "3" }, { key: "b", value: "2" }]);
      await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["a", "b"] }));
      assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, []);
    }
    const dt = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ["TAGS"] }));
    assert.deepEqual(dt.tasks?.[0]?.tags, []);
    await rejects(ecs.send(new ListTagsForResourceCommand({ resourceArn: "arn:aws:ecs:us-east-2:123456789012:task/test-cluster/0123456789abcdef0123456789abcdef" })), "ResourceNotFoundException");
    await rejects(ecs.send(new ListTagsForResourceCommand({ resourceArn: "arn:aws:ecs:us-east-2:123456789012:cluster/nope" })), "ClusterNotFoundException");
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn }));
  });
});

describe("RunTask misuse fails as AWS fails", () => {
  before(async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "bare" }));
    await ecs.send(new CreateClusterCommand({ clusterName: "on-demand-only", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] }));
  });

  const cases: Array<[string, Partial<RunTaskCommandInput>, string, string | RegExp]> = [
    ["unknown cluster", { cluster: "nope" }, "ClusterNotFoundException", "Cluster not found."],
    ["unknown task definition", { taskDefinition: "nope:3" }, "ClientException", "TaskDefinition not found."],
    ["no launch type or strategy on a cluster without default strategy", { cluster: "bare" }, "InvalidParameterException", "No Container Instances were found in your cluster."],
    [
      "both launchType and strategy",
      { launchType: "FARGATE", capacityProviderStrategy: [{ capacityProvider: "FARGATE" }] },
      "InvalidParameterException",
      "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
    ],
    [
      "a provider the cluster lacks",
      { cluster: "on-demand-only", capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] },
      "InvalidParameterException",
      /capacity provider that is not associated with the cluster/,
    ],
    ["awsvpc without networkConfiguration", { networkConfiguration: undefined }, "InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified."],
    [
      "an override for a container the definition lacks",
      { overrides: { containerOverrides: [{ name: "sidecar" }] } },
      "InvalidParameterException",
      "Override for container named sidecar is not a container in the TaskDefinition.",
    ],
    ["unknown subnet", { networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0nope"], securityGroups: ["sg-xxxxxxxxxxxxx"] } } }, "InvalidParameterException", /InvalidSubnetID\.NotFound/],
    ["unknown security group", { networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-0nope"] } } }, "InvalidParameterException", /InvalidGroup\.NotFound/],
    ["an invalid CPU/memory override", { overrides: { cpu: "256", memory: "8192" } }, "InvalidParameterException", /No Fargate configuration exists for given values: 256 CPU, 8192 memory/],
    ["count 0", { count: 0 }, "InvalidParameterException", /between 1 and 10/],
    ["count 11", { count: 11 }, "InvalidParameterException", /between 1 and 10/],
  ];
  for (const [name, extra, error, message] of cases) {
    test(name, async () => {
      await rejects(ecs.send(new RunTaskCommand({ ...seedRun(), ...extra })), error, message);
    });
  }

  test("StopTask on an unknown task", async () => {
    await rejects(ecs.send(new StopTaskCommand({ cluster, task: "0123456789abcdef0123456789abcdef" })), "InvalidParameterException", "The referenced task was not found.");
  });

  test("the emulator recorded the calls with their outcomes", async () => {
    const reqs = (await emu.requests()) as Array<{ service: string; operation: string; status: number; outcome: string }>;
    assert.ok(reqs.some((r) => r.operation === "RunTask" && r.outcome === "ClusterNotFoundException" && r.status === 400));
    assert.ok(reqs.some((r) => r.service === "ecs" && r.operation === "DescribeClusters" && r.outcome === "ok"));
  });
});

describe("regions", () => {
  test("a request signed for another region sees that region's own, empty world", async () => {
    const other = sdkClients(emu.endpoint, { region: "eu-west-1", maxAttempts: 1 }).ecs;
    try {
      const out = await other.send(new DescribeClustersCommand({ clusters: [cluster] }));
      assert.deepEqual(out.clusters, []);
      assert.deepEqual((await other.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns, []);
      await rejects(other.send(new RunTaskCommand(seedRun())), "ClusterNotFoundException");
      const made = await other.send(new CreateClusterCommand({ clusterName: cluster }));
      assert.equal(made.cluster?.clusterArn, "arn:aws:ecs:eu-west-1:123456789012:cluster/test-cluster");
    } finally {
      other.destroy();
    }
  });
});
