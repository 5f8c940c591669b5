// The single HTTP port: ECS (X-Amz-Target), EC2 (Action=) and the /_emulator/ control API.
// Each API call passes fault rules, then throttling, then its operation, and is recorded.
import http from "node:http";
import type { ApiContext } from "./api-context.js";
import { handleControl } from "./control-api.js";
import { ec2Operations } from "./ec2/operations.js";
import { ecsOperations } from "./ecs/operations.js";
import type { Emulator } from "./emulator.js";
import { AwsError } from "./errors.js";
import { uuid } from "./model/ids.js";
import { ec2ErrorResponse, ec2Response } from "./protocol/ec2-query.js";
import { ecsErrorBody, ecsOperationName, parseEcsBody } from "./protocol/ecs-json.js";
import { regionFromAuthorization } from "./protocol/sigv4.js";
import { bucketFor } from "./throttle.js";

const maxBody = 10 * 1024 * 1024;

/** A plain response: status, content type, body. */
export interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        reject(new AwsError("RequestEntityTooLarge", "Request body too large", 413));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Any non-AWS error is an emulator bug: logged, and answered as ServerException (500). */
function internal(e: unknown, log: (l: string) => void): AwsError {
  if (e instanceof AwsError) return e;
  log(`internal error: ${(e as Error)?.stack ?? String(e)}`);
  return new AwsError("ServerException", `Internal emulator error: ${(e as Error)?.message ?? String(e)}`, 500);
}

async function handleEcs(emu: Emulator, region: string, target: string, body: string, log: (l: string) => void): Promise<Reply> {
  const requestId = uuid();
  let op = target;
  let input: unknown = body;
  try {
    op = ecsOperationName(target);
    const parsed = parseEcsBody(body);
    input = parsed;
    const handler = ecsOperations[op];
    const injected = emu.faults.takeError(op, { region, ...(typeof parsed.cluster === "string" ? { cluster: parsed.cluster } : {}) });
    if (injected) throw new AwsError(injected.error, injected.message, injected.status);
    if (!handler) throw new AwsError("UnknownOperationException", `Operation ${op} is not supported by fargate-emulator`);
    if (!emu.throttle.take(region, bucketFor("ecs", op))) throw new AwsError("ThrottlingException", "Rate exceeded");
    const ctx: ApiContext = { emulator: emu, region, world: emu.world.region(region) };
    const out = await handler(ctx, parsed);
    record(emu, "ecs", op, region, input, 200, "ok");
    return { status: 200, type: "application/x-amz-json-1.1", body: JSON.stringify(out), headers: { "x-amzn-requestid": requestId } };
  } catch (e) {
    const err = internal(e, log);
    record(emu, "ecs", op, region, input, err.status, err.code);
    return { status: err.status, type: "application/x-amz-json-1.1", body: ecsErrorBody(err), headers: { "x-amzn-requestid": requestId } };
  }
}

function handleEc2(emu: Emulator, region: string, params: URLSearchParams, log: (l: string) => void): Reply {
  const action = params.get("Action") ?? "";
  const input = Object.fromEntries(params);
  try {
    const injected = emu.faults.takeError(action, { region });
    if (injected) throw new AwsError(injected.error, injected.message, injected.status);
    const handler = ec2Operations[action];
    if (!handler) throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
    if (!emu.throttle.take(region, bucketFor("ec2", action))) throw new AwsError("RequestLimitExceeded", "Request limit exceeded.", 503);
    const ctx: ApiContext = { emulator: emu, region, world: emu.world.region(region) };
    const body = ec2Response(action, handler(ctx, params));
    record(emu, "ec2", action, region, input, 200, "ok");
    return { status: 200, type: "text/xml;charset=UTF-8", body };
  } catch (e) {
    const err = internal(e, log);
    record(emu, "ec2", action, region, input, err.status, err.code);
    return { status: err.status, type: "text/xml;charset=UTF-8", body: ec2ErrorResponse(err) };
  }
}

function record(emu: Emulator, service: "ecs" | "ec2", operation: string, region: string, parameters: unknown, status: number, outcome: string): void {
  emu.requests.add({ time: new Date().toISOString(), service, operation, region, parameters, status, outcome });
}

/** Routes one HTTP request to ECS, EC2 or the control API. */
export async function route(emu: Emulator, req: http.IncomingMessage, log: (l: string) => void): Promise<Reply> {
  const url = new URL(req.url ?? "/", "http://emulator");
  const body = await readBody(req);
  if (url.pathname.startsWith("/_emulator/") || url.pathname === "/_emulator") {
    return handleControl(emu, req.method ?? "GET", url.pathname, body);
  }
  const region = regionFromAuthorization(req.headers.authorization) ?? emu.config.region;
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return handleEcs(emu, region, target, body, log);
  const params = new URLSearchParams(req.method === "GET" ? url.search : body);
  if (params.has("Action")) return handleEc2(emu, region, params, log);
  return { status: 404, type: "application/json", body: JSON.stringify({ error: "not an ECS (X-Amz-Target) or EC2 (Action=) request; the control API lives under /_emulator/" }) };
}

/** Creates the HTTP server (not yet listening). */
export function createServer(emu: Emulator, log: (l: string) => void): http.Server {
  const server = http.createServer((req, res) => {
    route(emu, req, log).then(
      (reply) => {
        res.writeHead(reply.status, { "content-type": reply.type, ...reply.headers });
        res.end(reply.body);
      },
      (e: unknown) => {
        const err = internal(e, log);
        res.writeHead(err.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  return server;
}
