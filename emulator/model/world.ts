// The emulated account: one independent world per region, created on first use. Only the home
// region is seeded; a request signed for another region sees that region's own, empty world.
import type { Cluster, SecurityGroup, Subnet, Task, TaskDefinition } from "./types.js";
import { clusterNotFound } from "../errors.js";
import { shortName } from "./ids.js";

/** Everything ECS and EC2 know about in one region. */
export class RegionWorld {
  readonly clusters = new Map<string, Cluster>();
  /** family -> revisions, index = revision - 1 */
  readonly taskDefinitions = new Map<string, TaskDefinition[]>();
  readonly tasks = new Map<string, Task>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  /** RunTask clientToken -> the request it was used with and the tasks it started (idempotency). */
  readonly runTaskTokens = new Map<string, { request: string; taskIds: string[]; failures: unknown[] }>();

  constructor(readonly region: string) {}

  /** The cluster named by a short name or ARN ("default" when omitted); ClusterNotFoundException otherwise. */
  cluster(nameOrArn: string | undefined): Cluster {
    const cluster = this.clusters.get(shortName(nameOrArn || "default"));
    if (!cluster || (nameOrArn?.startsWith("arn:") && cluster.arn !== nameOrArn)) throw clusterNotFound();
    return cluster;
  }

  /** A task definition by "family" (latest ACTIVE), "family:revision" or ARN. */
  taskDefinition(ref: string): TaskDefinition | undefined {
    const nameRev = ref.startsWith("arn:") ? ref.slice(ref.indexOf("task-definition/") + "task-definition/".length) : ref;
    if (ref.startsWith("arn:") && !ref.includes(":task-definition/")) return undefined;
    const [family, rev] = nameRev.split(":");
    const revisions = this.taskDefinitions.get(family ?? "");
    if (!revisions) return undefined;
    if (rev === undefined) return [...revisions].reverse().find((d) => d.status === "ACTIVE");
    if (!/^\d+$/.test(rev)) return undefined;
    const def = revisions[Number(rev) - 1];
    if (def && ref.startsWith("arn:") && def.arn !== ref) return undefined;
    return def;
  }

  /** A task by id or ARN, optionally required to be in a cluster. */
  task(idOrArn: string): Task | undefined {
    const task = this.tasks.get(shortName(idOrArn));
    if (task && idOrArn.startsWith("arn:") && task.arn !== idOrArn) return undefined;
    return task;
  }
}

/** All regions of the emulated account. */
export class World {
  private readonly regions = new Map<string, RegionWorld>();

  constructor(
    readonly homeRegion: string,
    private readonly seed: (world: RegionWorld) => void,
  ) {
    this.reset();
  }

  /** The world for a region, created (empty) on first use. */
  region(name: string): RegionWorld {
    let world = this.regions.get(name);
    if (!world) {
      world = new RegionWorld(name);
      this.regions.set(name, world);
    }
    return world;
  }

  /** Every region's world. */
  all(): RegionWorld[] {
    return [...this.regions.values()];
  }

  /** Forgets everything and seeds the home region again. */
  reset(): void {
    this.regions.clear();
    this.seed(this.region(this.homeRegion));
  }
}
