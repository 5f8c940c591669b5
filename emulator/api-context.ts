// What an ECS or EC2 operation handler gets: the emulator, the region's world and the input.
import type { Emulator } from "./emulator.js";
import type { RegionWorld } from "./model/world.js";

/** The per-request context handed to every operation. */
export interface ApiContext {
  emulator: Emulator;
  region: string;
  world: RegionWorld;
}

/** An ECS operation: parsed JSON input in, JSON-serialisable output. */
export type EcsOperation = (ctx: ApiContext, input: Record<string, unknown>) => unknown;
