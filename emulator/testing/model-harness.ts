// Test harness for the model unit tests (test/emulator/model-*.test.ts): an Emulator on a fake clock with a fake container runtime
// (records every launch, lets a test resolve/reject starts and fire unexpected exits).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ContainerLaunch, ContainerRuntime, RunningContainer } from "../containers/types.js";
import type { ApiContext } from "../api-context.js";
import { Emulator } from "../emulator.js";
import { ecsOperations } from "../ecs/operations.js";
import { FakeClock } from "../model/clock.js";

/** One start() call seen by the fake runtime. */
export interface FakeStart {
  launch: ContainerLaunch;
  stops: number[];
  crashed: boolean;
}

/** A ContainerRuntime that starts instantly (or when told) and records everything. */
export class FakeRuntime implements ContainerRuntime {
  readonly kind = "embedded" as const;
  readonly starts: FakeStart[] = [];
  /** When set, start() rejects with this message. */
  failWith: string | undefined;
  /** When true, start() waits until release() is called. */
  hold = false;
  /** When true, a container's stop() waits until releaseStops() is called. */
  holdStops = false;
  private held: Array<() => void> = [];
  private heldStops: Array<() => void> = [];

  start(launch: ContainerLaunch): Promise<RunningContainer> {
    const record: FakeStart = { launch, stops: [], crashed: false };
    this.starts.push(record);
    const running: RunningContainer = {
      hostKey: "ssh-ed25519 AAAAFAKEHOSTKEY",
      sshPid: undefined,
      stop: async (ms) => {
        record.stops.push(ms);
        if (this.holdStops) await new Promise<void>((resolve) => this.heldStops.push(resolve));
        return { exitCode: 143 };
      },
      crash: () => {
        record.crashed = true;
        launch.onUnexpectedExit("crashed on purpose");
      },
    };
    if (this.failWith) return Promise.reject(new Error(this.failWith));
    if (!this.hold) return Promise.resolve(running);
    return new Promise((resolve) => this.held.push(() => resolve(running)));
  }

  /** Lets held start() calls finish. */
  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  /** Lets held stop() calls finish (and stops holding new ones). */
  releaseStops(): void {
    this.holdStops = false;
    for (const r of this.heldStops.splice(0)) r();
  }
}

const workDirs: string[] = [];
process.on("exit", () => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** An emulator on a fake clock, fake runtime and a bind probe that says "free". */
export function fakeEmulator(opts: { timeScale?: number; probe?: (ip: string, port: number) => Promise<boolean> } = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime();
  const workDir = mkdtempSync(path.join(os.tmpdir(), "emulator-model-test-"));
  workDirs.push(workDir);
  const emu = new Emulator({
    region: "us-east-2",
    timeScale: opts.timeScale ?? 1,
    workDir,
    throttle: false,
    addressBlock: 77,
    runtime,
    clock,
    probe: opts.probe ?? (async () => true),
  });
  const ctx: ApiContext = { emulator: emu, region: "us-east-2", world: emu.world.region("us-east-2") };
  const call = async (op: string, input: Record<string, unknown>) => (await ecsOperations[op]!(ctx, input)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { emu, clock, runtime, ctx, call };
}

/** The seed's RunTask input (public IP on, an SSH key override). */
export function seedRunTask(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: "test-cluster",
    taskDefinition: "test-task:1",
    networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-xxxxxx"], securityGroups: ["sg-xxxxxxxxxxxxx"], assignPublicIp: "ENABLED" } },
    overrides: { containerOverrides: [{ name: "ci-coordinator", environment: [{ name: "SSH_PUBLIC_KEY", value: "ssh-ed25519 AAAAKEY test" }] }] },
    ...extra,
  };
}
