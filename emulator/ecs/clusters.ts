// CreateCluster and DescribeClusters.
import type { EcsOperation } from "../api-context.js";
import { invalidParameter } from "../errors.js";
import { ecsArn, shortName } from "../model/ids.js";
import type { StrategyItem } from "../model/types.js";
import { clusterToWire } from "./serialize.js";
import { optString, optStrings, optTags } from "./input.js";

const fargateProviders = ["FARGATE", "FARGATE_SPOT"];

/** Validates a capacity provider strategy's shape and values. */
export function parseStrategy(raw: unknown): StrategyItem[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalidParameter("capacityProviderStrategy must be a list.");
  return raw.map((i: Partial<StrategyItem>) => {
    if (typeof i?.capacityProvider !== "string" || i.capacityProvider === "") throw invalidParameter("capacityProvider can not be blank.");
    if (i.weight !== undefined && (!Number.isInteger(i.weight) || i.weight < 0 || i.weight > 1000)) throw invalidParameter("The capacity provider strategy weight must be between 0 and 1000.");
    if (i.base !== undefined && (!Number.isInteger(i.base) || i.base < 0 || i.base > 100000)) throw invalidParameter("The capacity provider strategy base must be between 0 and 100000.");
    return { capacityProvider: i.capacityProvider, weight: i.weight ?? 0, base: i.base ?? 0 };
  });
}

/** CreateCluster: idempotent for an existing name, as on AWS. */
export const createCluster: EcsOperation = ({ world }, input) => {
  const name = optString(input, "clusterName") ?? "default";
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) throw invalidParameter("Cluster name can only contain letters, numbers, hyphens, and underscores, and be up to 255 characters long.");
  const providers = optStrings(input, "capacityProviders") ?? [];
  for (const p of providers) {
    if (!fargateProviders.includes(p)) throw invalidParameter(`The specified capacity provider '${p}' is not in an ACTIVE state. Specify a valid capacity provider and try again.`);
  }
  const strategy = parseStrategy(input.defaultCapacityProviderStrategy) ?? [];
  for (const s of strategy) {
    if (!providers.includes(s.capacityProvider)) throw invalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.");
  }
  const existing = world.clusters.get(name);
  if (existing) return { cluster: clusterToWire(world, existing, ["TAGS"]) };
  const cluster = {
    arn: ecsArn(world.region, `cluster/${name}`),
    name,
    capacityProviders: providers,
    defaultStrategy: strategy,
    settings: Array.isArray(input.settings) ? (input.settings as Array<{ name: string; value: string }>) : [{ name: "containerInsights", value: "disabled" }],
    tags: optTags(input) ?? [],
  };
  world.clusters.set(name, cluster);
  return { cluster: clusterToWire(world, cluster, ["TAGS"]) };
};

/** DescribeClusters: unknown names come back as MISSING failures. */
export const describeClusters: EcsOperation = ({ world }, input) => {
  const names = optStrings(input, "clusters") ?? [];
  const include = optStrings(input, "include") ?? [];
  const clusters = [];
  const failures = [];
  for (const ref of names.length > 0 ? names : ["default"]) {
    const c = world.clusters.get(shortName(ref));
    if (c && (!ref.startsWith("arn:") || c.arn === ref)) clusters.push(clusterToWire(world, c, include));
    else failures.push({ arn: ref.startsWith("arn:") ? ref : ecsArn(world.region, `cluster/${ref}`), reason: "MISSING" });
  }
  return { clusters, failures };
};
