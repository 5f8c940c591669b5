// AWS SDK v3 clients for tests against a running emulator: explicit endpoint, dummy credentials,
// fast retries (or none), never the default credential chain.
import { ECSClient, DescribeTasksCommand, type Task } from "@aws-sdk/client-ecs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";

/** Options for sdkClients. */
export interface ClientOptions {
  region?: string;
  /** Total attempts (1 = no retries); default 4 with 10 ms x attempt backoff. */
  maxAttempts?: number;
}

/** An ECS and an EC2 client pointed at the emulator. */
export function sdkClients(endpoint: string, opts: ClientOptions = {}): { ecs: ECSClient; ec2: EC2Client } {
  const config = {
    endpoint,
    region: opts.region ?? "us-east-2",
    credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" },
    retryStrategy: new ConfiguredRetryStrategy(opts.maxAttempts ?? 4, (attempt: number) => 10 * attempt),
  };
  return { ecs: new ECSClient(config), ec2: new EC2Client(config) };
}

/** Polls DescribeTasks until the task reaches one of the statuses (bounded; throws on timeout). */
export async function waitForStatus(ecs: ECSClient, cluster: string, taskArn: string, statuses: string[], timeoutMs = 30_000): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  let last: Task | undefined;
  while (Date.now() < deadline) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ["TAGS"] }));
    last = out.tasks?.[0];
    if (last?.lastStatus && statuses.includes(last.lastStatus)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskArn} did not reach ${statuses.join("/")} within ${timeoutMs} ms (last: ${last?.lastStatus})`);
}
