// The inventory's paging over scripted ECS answers: ListTasks followed page by page, DescribeTasks
// in batches of at most 100 with include TAGS. (Starting 250 real tasks on the emulator would only
// test the emulator's patience; the wire behaviour is covered by gc-cli.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsClients } from "../../src/aws/clients.js";
import { EcsTaskInventory } from "../../src/aws/task-inventory.js";

interface Sent {
  name: string;
  input: { nextToken?: string; startedBy?: string; desiredStatus?: string; tasks?: string[]; include?: string[]; cluster?: string };
}

function fakeClients(total: number): { clients: AwsClients; sent: Sent[] } {
  const sent: Sent[] = [];
  const arns = Array.from({ length: total }, (_, i) => `arn:aws:ecs:r:1:task/c/t${i}`);
  const send = (command: { constructor: { name: string }; input: Sent["input"] }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    if (command.constructor.name === "ListTasksCommand") {
      const start = Number(command.input.nextToken ?? "0");
      const page = arns.slice(start, start + 100);
      return Promise.resolve({ taskArns: page, nextToken: start + 100 < total ? String(start + 100) : undefined });
    }
    const tasks = (command.input.tasks ?? []).map((arn) => ({
      taskArn: arn,
      startedBy: "gitlab-fargate-x",
      tags: [{ key: "gitlab-runner:runner", value: "x" }],
      createdAt: new Date(0),
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
    }));
    return Promise.resolve({ tasks, failures: [] });
  };
  const clients = { ecs: { send }, ec2: () => Promise.reject(new Error("unused")), destroy: () => undefined } as unknown as AwsClients;
  return { clients, sent };
}

describe("task inventory: paging", () => {
  it("follows every ListTasks page and describes in batches of 100 with tags", async () => {
    const { clients, sent } = fakeClients(250);
    const tasks = await new EcsTaskInventory(clients, "c").listStartedBy("gitlab-fargate-x");
    assert.equal(tasks.length, 250);
    assert.deepEqual(tasks[0]?.tags, { "gitlab-runner:runner": "x" });
    const lists = sent.filter((s) => s.name === "ListTasksCommand");
    assert.deepEqual(lists.map((s) => s.input.nextToken), [undefined, "100", "200"]);
    for (const list of lists) {
      assert.equal(list.input.startedBy, "gitlab-fargate-x");
      assert.equal(list.input.cluster, "c");
      assert.equal(list.input.desiredStatus, undefined, "RUNNING is the default; startedBy must be the only filter");
    }
    const describes = sent.filter((s) => s.name === "DescribeTasksCommand");
    assert.deepEqual(describes.map((s) => s.input.tasks?.length), [100, 100, 50]);
    for (const d of describes) assert.deepEqual(d.input.include, ["TAGS"]);
  });

  it("no tasks: one ListTasks call and no DescribeTasks call", async () => {
    const { clients, sent } = fakeClients(0);
    assert.deepEqual(await new EcsTaskInventory(clients, "c").listStartedBy("gitlab-fargate-x"), []);
    assert.deepEqual(sent.map((s) => s.name), ["ListTasksCommand"]);
  });
});
