// The /_emulator/ control API: faults, inspection, reset, extra EC2 resources, SSH crashes.
import type { Reply } from "./server.js";
import type { Emulator } from "./emulator.js";
import { FaultRuleError } from "./faults.js";
import { randomHex } from "./model/ids.js";
import { addSecurityGroup, addSubnet } from "./model/seed.js";
import type { Task } from "./model/types.js";
import type { BucketName, BucketRate } from "./throttle.js";

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(status: number, value: unknown): Reply {
  return { status, type: "application/json", body: JSON.stringify(value, null, 2) + "\n" };
}

function parseJson(body: string): unknown {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new ControlError(400, `invalid JSON body: ${(e as Error).message}`);
  }
}

function object(body: string): Record<string, unknown> {
  const v = parseJson(body) ?? {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ControlError(400, "the body must be a JSON object");
  return v as Record<string, unknown>;
}

function optStr(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw new ControlError(400, `"${key}" must be a non-empty string`);
  return v;
}

/** One task as GET /_emulator/tasks shows it (the EmulatorTask of test/support/emulator.ts). */
export function taskView(t: Task): Record<string, unknown> {
  const main = t.containers[t.mainContainer];
  return {
    taskArn: t.arn,
    taskId: t.id,
    region: t.region,
    clusterArn: t.cluster.arn,
    taskDefinitionArn: t.taskDefinition.arn,
    family: t.taskDefinition.family,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    privateIp: t.eni.privateIp,
    publicIp: t.eni.publicIp ?? null,
    port: t.port,
    subnetId: t.eni.subnetId,
    networkInterfaceId: t.eni.id,
    tags: Object.fromEntries(t.tags.map((x) => [x.key, x.value])),
    startedBy: t.startedBy ?? null,
    group: t.group,
    launchType: t.launchType,
    capacityProviderName: t.capacityProviderName ?? null,
    hostKey: t.running?.hostKey ?? null,
    sshPid: t.running?.sshPid ?? null,
    sshRunning: t.sshRunning,
    workDir: t.workDir,
    stopCode: t.stopCode ?? null,
    stoppedReason: t.stoppedReason ?? null,
    exitCode: main?.exitCode ?? null,
    timings: t.timings,
  };
}

function findTask(emu: Emulator, id: string): Task {
  const task = emu.tasks().find((t) => t.id === id || t.arn === id);
  if (!task) throw new ControlError(404, `no task ${id}`);
  return task;
}

const bucketNames: BucketName[] = ["launches", "spotLaunches", "runTask", "ecsRead", "ecsWrite", "ec2Read"];

function throttleSettings(body: Record<string, unknown>): { enabled?: boolean; rates?: Partial<Record<BucketName, Partial<BucketRate>>> } {
  const out: { enabled?: boolean; rates?: Partial<Record<BucketName, Partial<BucketRate>>> } = {};
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") throw new ControlError(400, `"enabled" must be true or false`);
    out.enabled = body.enabled;
  }
  if (body.rates !== undefined) {
    if (typeof body.rates !== "object" || body.rates === null) throw new ControlError(400, `"rates" must be an object`);
    out.rates = {};
    for (const [name, rate] of Object.entries(body.rates as Record<string, Record<string, unknown>>)) {
      if (!bucketNames.includes(name as BucketName)) throw new ControlError(400, `unknown bucket "${name}" (one of ${bucketNames.join(", ")})`);
      for (const [k, v] of Object.entries(rate ?? {})) {
        if ((k !== "burst" && k !== "perSecond") || typeof v !== "number" || !(v >= 0)) throw new ControlError(400, `rates.${name}.${k}: expected "burst" or "perSecond" with a number >= 0`);
      }
      out.rates[name as BucketName] = rate as Partial<BucketRate>;
    }
  }
  for (const k of Object.keys(body)) if (k !== "enabled" && k !== "rates") throw new ControlError(400, `unknown field "${k}"`);
  return out;
}

async function dispatch(emu: Emulator, method: string, path: string, body: string): Promise<Reply> {
  const route = `${method} ${path.replace(/\/+$/, "")}`;
  switch (route) {
    case "GET /_emulator/health":
      return json(200, {
        status: "ok",
        region: emu.config.region,
        accountId: "123456789012",
        ssh: emu.config.runtime?.kind ?? "none",
        timeScale: emu.config.timeScale,
        addressBlock: `127.${emu.addresses.block}.0.0/16`,
        throttling: emu.throttle.enabled,
        tasks: emu.tasks().filter((t) => t.lastStatus !== "STOPPED").length,
        uptimeMs: Date.now() - emu.startedAt,
      });
    case "GET /_emulator/tasks":
      return json(200, emu.tasks().sort((a, b) => a.createdAt - b.createdAt).map(taskView));
    case "GET /_emulator/requests":
      return json(200, emu.requests.list());
    case "DELETE /_emulator/requests":
      emu.requests.clear();
      return json(200, {});
    case "GET /_emulator/faults":
      return json(200, emu.faults.list());
    case "POST /_emulator/faults": {
      try {
        return json(201, emu.faults.add(parseJson(body)));
      } catch (e) {
        if (e instanceof FaultRuleError) throw new ControlError(400, e.message);
        throw e;
      }
    }
    case "DELETE /_emulator/faults":
      emu.faults.clear();
      return json(200, []);
    case "POST /_emulator/reset":
      await emu.reset();
      return json(200, { status: "reset" });
    case "GET /_emulator/throttling":
      return json(200, { enabled: emu.throttle.enabled, rates: emu.throttle.rates });
    case "PUT /_emulator/throttling":
    case "POST /_emulator/throttling":
      emu.throttle.configure(throttleSettings(object(body)));
      return json(200, { enabled: emu.throttle.enabled, rates: emu.throttle.rates });
    case "POST /_emulator/subnets": {
      const o = object(body);
      const world = emu.world.region(optStr(o, "region") ?? emu.config.region);
      const id = optStr(o, "subnetId") ?? `subnet-${randomHex(17)}`;
      if (world.subnets.has(id)) throw new ControlError(409, `subnet ${id} already exists in ${world.region}`);
      if (o.mapPublicIpOnLaunch !== undefined && typeof o.mapPublicIpOnLaunch !== "boolean") throw new ControlError(400, `"mapPublicIpOnLaunch" must be true or false`);
      try {
        addSubnet(world, emu.addresses, id, {
          ...(optStr(o, "availabilityZone") ? { availabilityZone: optStr(o, "availabilityZone") } : {}),
          ...(optStr(o, "vpcId") ? { vpcId: optStr(o, "vpcId") } : {}),
          ...(typeof o.mapPublicIpOnLaunch === "boolean" ? { mapPublicIpOnLaunch: o.mapPublicIpOnLaunch } : {}),
        });
      } catch (e) {
        throw new ControlError(409, (e as Error).message);
      }
      return json(201, world.subnets.get(id));
    }
    case "POST /_emulator/security-groups": {
      const o = object(body);
      const world = emu.world.region(optStr(o, "region") ?? emu.config.region);
      const id = optStr(o, "groupId") ?? `sg-${randomHex(17)}`;
      if (world.securityGroups.has(id)) throw new ControlError(409, `security group ${id} already exists in ${world.region}`);
      addSecurityGroup(world, id, {
        ...(optStr(o, "groupName") ? { name: optStr(o, "groupName") } : {}),
        ...(optStr(o, "description") ? { description: optStr(o, "description") } : {}),
        ...(optStr(o, "vpcId") ? { vpcId: optStr(o, "vpcId") } : {}),
      });
      return json(201, world.securityGroups.get(id));
    }
  }
  const crash = /^POST \/_emulator\/tasks\/([^/]+)\/crash-ssh$/.exec(route);
  if (crash) {
    const task = findTask(emu, decodeURIComponent(crash[1]!));
    if (!emu.engine.crash(task)) throw new ControlError(409, `task ${task.id} has no running SSH server (lastStatus ${task.lastStatus})`);
    return json(200, { crashed: task.id });
  }
  const one = /^GET \/_emulator\/tasks\/([^/]+)$/.exec(route);
  if (one) return json(200, taskView(findTask(emu, decodeURIComponent(one[1]!))));
  throw new ControlError(404, `no control endpoint ${route}`);
}

/** Answers a /_emulator/ request; errors become {"error": "..."} with a 4xx status. */
export async function handleControl(emu: Emulator, method: string, path: string, body: string): Promise<Reply> {
  try {
    return await dispatch(emu, method, path, body);
  } catch (e) {
    if (e instanceof ControlError) return json(e.status, { error: e.message });
    throw e;
  }
}
