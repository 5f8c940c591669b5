// The one place where SDK clients are built. Region from the config (else the environment);
// endpoints come from the environment (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS/_EC2), which the SDK
// reads itself; a bounded retry strategy and socket timeouts so a stuck endpoint cannot hang a stage.
// The EC2 client is loaded only when a public IP must be looked up (its module takes ~0.2 s to load).
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECSClient } from "@aws-sdk/client-ecs";
import { fullJitterMs } from "./backoff.js";
import { ec2Sdk, ecsSdk, smithySdk } from "./sdk.js";

/** Total attempts per call (1 + retries): enough to ride out throttling, short enough to fail fast. */
export const MAX_ATTEMPTS = 4;

/** What the clients are built from. */
export interface AwsClientOptions {
  /** The configured region; undefined falls back to AWS_REGION / AWS_DEFAULT_REGION. */
  region: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** The SDK clients the task runtime uses; destroy() releases their sockets. */
export interface AwsClients {
  ecs: ECSClient;
  /** The EC2 client, its module imported on first use. */
  ec2(): Promise<EC2Client>;
  destroy(): void;
}

// Full jitter under an exponential cap (100, 200, 400 ms): throttled runners must not retry in lockstep.
function backoffMs(attempt: number): number {
  return fullJitterMs(attempt, 100, 2000);
}

/** Builds the ECS client now and the EC2 client on demand, for one stage invocation (never at import time). */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const env = options.env ?? process.env;
  // The SDK's Node 20 deprecation notice would land in every job log (stderr): it is not the job's business.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const region = options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const { NodeHttpHandler, ConfiguredRetryStrategy } = smithySdk();
  // Each client gets its own handler and retry state: destroying or throttling one must not affect the other.
  const common = () => ({
    ...(region ? { region } : {}),
    // ConfiguredRetryStrategy counts attempts in all (its doc comment says retries; its code and our test disagree).
    retryStrategy: new ConfiguredRetryStrategy(MAX_ATTEMPTS, backoffMs),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30000 }),
  });
  const ecs = new (ecsSdk().ECSClient)(common());
  let ec2: Promise<EC2Client> | undefined;
  let destroyed = false;
  return {
    ecs,
    ec2() {
      // Loaded (synchronously, ~0.2 s) once pending I/O has been served: a DescribeTasks sent
      // just before goes out first, and the load overlaps its round trip.
      ec2 ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        const client = new (ec2Sdk().EC2Client)(common());
        if (destroyed) client.destroy();
        return client;
      });
      return ec2;
    },
    destroy() {
      destroyed = true;
      ecs.destroy();
      void ec2?.then((client) => client.destroy(), () => undefined);
    },
  };
}
