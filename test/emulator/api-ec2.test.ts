// EC2 through the real AWS SDK v3 (query protocol, XML) against the real emulator process.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { RunTaskCommand, StopTaskCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { startEmulator, type EmulatorHandle } from "../support/emulator.js";
import { sdkClients, waitForStatus } from "../../emulator/testing/sdk-clients.js";

let emu: EmulatorHandle;
let ecs: ECSClient;
let ec2: EC2Client;
const cluster = "test-cluster";

async function runTask(subnets: string[], assignPublicIp: "ENABLED" | "DISABLED", securityGroups = ["sg-xxxxxxxxxxxxx"]) {
  const out = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: "test-task:1", networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp } } }));
  assert.equal(out.tasks?.length, 1, JSON.stringify(out.failures));
  const t = await waitForStatus(ecs, cluster, out.tasks![0]!.taskArn!, ["RUNNING"]);
  const details = Object.fromEntries(t.attachments![0]!.details!.map((d) => [d.name, d.value]));
  return { arn: t.taskArn!, eni: details.networkInterfaceId!, privateIp: details.privateIPv4Address! };
}

async function rejects(p: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

before(async () => {
  emu = await startEmulator({ args: ["--no-throttle"] });
  ({ ecs, ec2 } = sdkClients(emu.endpoint, { maxAttempts: 1 }));
});

after(async () => {
  ecs?.destroy();
  ec2?.destroy();
  await emu?.stop();
});

test("DescribeNetworkInterfaces finds the public IP only for assignPublicIp ENABLED", async () => {
  const pub = await runTask(["subnet-xxxxxx"], "ENABLED");
  const priv = await runTask(["subnet-xxxxxx"], "DISABLED");
  const out = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [pub.eni] }));
  const ni = out.NetworkInterfaces![0]!;
  assert.equal(ni.NetworkInterfaceId, pub.eni);
  assert.equal(ni.PrivateIpAddress, pub.privateIp);
  assert.equal(ni.SubnetId, "subnet-xxxxxx");
  assert.equal(ni.Status, "in-use");
  assert.equal(ni.InterfaceType, "interface");
  assert.equal(ni.Groups?.[0]?.GroupId, "sg-xxxxxxxxxxxxx");
  const publicIp = ni.Association?.PublicIp;
  assert.match(publicIp!, /^127\.\d+\.\d+\.\d+$/);
  assert.notEqual(publicIp, pub.privateIp);
  assert.notEqual(publicIp, "127.0.0.1");
  const tasks = await emu.tasks();
  assert.equal(tasks.find((t) => t.taskArn === pub.arn)?.publicIp, publicIp);
  const p2 = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [priv.eni] }));
  assert.equal(p2.NetworkInterfaces?.[0]?.Association, undefined);
  for (const t of [pub, priv]) await ecs.send(new StopTaskCommand({ cluster, task: t.arn }));
  await waitForStatus(ecs, cluster, pub.arn, ["STOPPED"]);
  await rejects(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [pub.eni] })), "InvalidNetworkInterfaceID.NotFound", new RegExp(pub.eni));
});

test("DescribeNetworkInterfaces filters", async () => {
  const t = await runTask(["subnet-xxxxxx"], "ENABLED");
  const one = async (Name: string, Values: string[]) =>
    (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name, Values }] }))).NetworkInterfaces!.map((n) => n.NetworkInterfaceId);
  assert.deepEqual(await one("network-interface-id", [t.eni]), [t.eni]);
  assert.deepEqual(await one("addresses.private-ip-address", [t.privateIp]), [t.eni]);
  assert.deepEqual(await one("private-ip-address", [t.privateIp]), [t.eni]);
  assert.ok((await one("subnet-id", ["subnet-xxxxxx"])).includes(t.eni));
  assert.ok((await one("group-id", ["sg-xxxxxxxxxxxxx"])).includes(t.eni));
  assert.ok((await one("status", ["in-use"])).includes(t.eni));
  assert.ok((await one("description", ["arn:aws:ecs:*:attachment/*"])).includes(t.eni));
  assert.deepEqual(await one("subnet-id", ["subnet-other"]), []);
  const pub = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [t.eni] }))).NetworkInterfaces![0]!.Association!.PublicIp!;
  assert.deepEqual(await one("association.public-ip", [pub]), [t.eni]);
  await rejects(ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "bogus", Values: ["x"] }] })), "InvalidParameterValue");
  await rejects(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["eni-0123456789abcdef0"] })), "InvalidNetworkInterfaceID.NotFound", /The networkInterface ID 'eni-0123456789abcdef0' does not exist/);
  await rejects(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["nope"] })), "InvalidNetworkInterfaceID.Malformed");
  await ecs.send(new StopTaskCommand({ cluster, task: t.arn }));
});

test("DescribeSubnets and DescribeSecurityGroups: the seeded ones, with loopback CIDRs", async () => {
  const s = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: ["subnet-xxxxxx"] }));
  const subnet = s.Subnets![0]!;
  assert.equal(subnet.SubnetId, "subnet-xxxxxx");
  assert.equal(subnet.State, "available");
  assert.equal(subnet.AvailabilityZone, "us-east-2a");
  assert.match(subnet.CidrBlock!, /^127\.\d+\.\d+\.0\/21$/);
  assert.equal((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [subnet.VpcId!] }] }))).Subnets?.length, 1);
  await rejects(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ["subnet-0nope"] })), "InvalidSubnetID.NotFound", /The subnet ID 'subnet-0nope' does not exist/);
  const g = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-xxxxxxxxxxxxx"] }));
  assert.equal(g.SecurityGroups?.[0]?.GroupId, "sg-xxxxxxxxxxxxx");
  assert.equal(g.SecurityGroups?.[0]?.VpcId, subnet.VpcId);
  await rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-0nope"] })), "InvalidGroup.NotFound", /sg-0nope/);
});

test("subnets and security groups added through the control API work for RunTask and EC2", async () => {
  const sub = (await emu.control("POST", "/_emulator/subnets", { subnetId: "subnet-bbbbbb", availabilityZone: "us-east-2b" })) as { cidrBlock: string };
  await emu.control("POST", "/_emulator/security-groups", { groupId: "sg-bbbbbb", groupName: "extra" });
  const t = await runTask(["subnet-bbbbbb"], "DISABLED", ["sg-bbbbbb"]);
  const [, , third] = t.privateIp.split(".").map(Number);
  const [, , base] = sub.cidrBlock.split("/")[0]!.split(".").map(Number);
  assert.ok(third! >= base! && third! < base! + 8, `${t.privateIp} inside ${sub.cidrBlock}`);
  const ni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [t.eni] }))).NetworkInterfaces![0]!;
  assert.equal(ni.AvailabilityZone, "us-east-2b");
  assert.equal(ni.Groups?.[0]?.GroupName, "extra");
  assert.equal((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-2b"] }] }))).Subnets?.[0]?.SubnetId, "subnet-bbbbbb");
  await assert.rejects(emu.control("POST", "/_emulator/subnets", { subnetId: "subnet-bbbbbb" }), /409/);
  await ecs.send(new StopTaskCommand({ cluster, task: t.arn }));
});

test("another region has no subnets", async () => {
  const other = sdkClients(emu.endpoint, { region: "ap-south-1", maxAttempts: 1 }).ec2;
  try {
    assert.deepEqual((await other.send(new DescribeSubnetsCommand({}))).Subnets, []);
  } finally {
    other.destroy();
  }
});
