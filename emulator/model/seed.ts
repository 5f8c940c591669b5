// The pre-seeded world the seed document's fargate.toml expects to find, unchanged.
import type { AddressBlock } from "./addresses.js";
import type { RegionWorld } from "./world.js";
import { ecsArn } from "./ids.js";
import { registerTaskDefinition } from "./task-definitions.js";

/** Names the seeded world is built from (also used by docs and tests). */
export const seedNames = {
  cluster: "test-cluster",
  family: "test-task",
  container: "ci-coordinator",
  image: "registry.gitlab.com/tmaczukin-test-projects/fargate-driver-debian:latest",
  subnet: "subnet-xxxxxx",
  securityGroup: "sg-xxxxxxxxxxxxx",
  vpc: "vpc-0emulator00000001",
} as const;

/** Adds an EC2 subnet with a loopback CIDR from the emulator's address block. */
export function addSubnet(world: RegionWorld, addresses: AddressBlock, id: string, opts: { availabilityZone?: string; vpcId?: string; mapPublicIpOnLaunch?: boolean } = {}): void {
  world.subnets.set(id, {
    id,
    vpcId: opts.vpcId ?? seedNames.vpc,
    availabilityZone: opts.availabilityZone ?? `${world.region}a`,
    cidrBlock: addresses.subnetCidr(`${world.region}/${id}`),
    mapPublicIpOnLaunch: opts.mapPublicIpOnLaunch ?? false,
    tags: [],
  });
}

/** Adds an EC2 security group. */
export function addSecurityGroup(world: RegionWorld, id: string, opts: { name?: string; description?: string; vpcId?: string } = {}): void {
  world.securityGroups.set(id, {
    id,
    name: opts.name ?? id,
    description: opts.description ?? "fargate-emulator security group",
    vpcId: opts.vpcId ?? seedNames.vpc,
    tags: [],
  });
}

/** Fills the home region: cluster, task definition test-task:1, subnet and security group. */
export function seedRegion(world: RegionWorld, addresses: AddressBlock, now: number): void {
  world.clusters.set(seedNames.cluster, {
    arn: ecsArn(world.region, `cluster/${seedNames.cluster}`),
    name: seedNames.cluster,
    capacityProviders: ["FARGATE", "FARGATE_SPOT"],
    defaultStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    settings: [{ name: "containerInsights", value: "disabled" }],
    tags: [],
  });
  registerTaskDefinition(
    world,
    {
      family: seedNames.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [
        {
          name: seedNames.container,
          image: seedNames.image,
          essential: true,
          portMappings: [{ containerPort: 22, hostPort: 22, protocol: "tcp" }],
          environment: [],
        },
      ],
    },
    now,
  );
  addSubnet(world, addresses, seedNames.subnet);
  addSecurityGroup(world, seedNames.securityGroup, { name: "ci-coordinator-ssh", description: "SSH to the CI coordinator" });
}
