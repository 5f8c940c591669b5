// The AWS SDK packages, loaded with require() on first use. They are CommonJS: importing them from
// an ES module makes Node first scan their sources for export names (cjs-module-lexer), which costs
// more than loading them: ~35 ms of every prepare and cleanup for ECS, ~200 ms for EC2. The code
// imports only types from the packages themselves and takes the values from here.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** @aws-sdk/client-ecs. */
export function ecsSdk(): typeof import("@aws-sdk/client-ecs") {
  return require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs");
}

/** @aws-sdk/client-ec2 (only for public IPs). */
export function ec2Sdk(): typeof import("@aws-sdk/client-ec2") {
  return require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
}

/** The HTTP handler and retry strategy the clients are built with. */
export function smithySdk(): { NodeHttpHandler: typeof import("@smithy/node-http-handler").NodeHttpHandler; ConfiguredRetryStrategy: typeof import("@smithy/util-retry").ConfiguredRetryStrategy } {
  const { NodeHttpHandler } = require("@smithy/node-http-handler") as typeof import("@smithy/node-http-handler");
  const { ConfiguredRetryStrategy } = require("@smithy/util-retry") as typeof import("@smithy/util-retry");
  return { NodeHttpHandler, ConfiguredRetryStrategy };
}
