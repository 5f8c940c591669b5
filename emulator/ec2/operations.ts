// EC2 DescribeNetworkInterfaces, DescribeSubnets and DescribeSecurityGroups over the region's world.
import type { ApiContext } from "../api-context.js";
import { AwsError } from "../errors.js";
import { accountId } from "../model/ids.js";
import type { Task } from "../model/types.js";
import type { RegionWorld } from "../model/world.js";
import { type Ec2Filter, filtersParam, listParam } from "../protocol/ec2-query.js";
import type { XmlValue } from "../protocol/xml.js";
import { applyFilters, type FilterFields, tagSet } from "./filters.js";

/** An EC2 operation: query parameters in, the response body's members out. */
export type Ec2Operation = (ctx: ApiContext, params: URLSearchParams) => Record<string, XmlValue>;

interface EniView {
  task: Task;
  tags: [];
}

const eniFields: FilterFields<EniView> = {
  "network-interface-id": ({ task }) => [task.eni.id],
  "subnet-id": ({ task }) => [task.eni.subnetId],
  "vpc-id": ({ task }) => [task.eni.vpcId],
  "availability-zone": ({ task }) => [task.eni.availabilityZone],
  "group-id": ({ task }) => task.eni.securityGroups,
  "private-ip-address": ({ task }) => [task.eni.privateIp],
  "addresses.private-ip-address": ({ task }) => [task.eni.privateIp],
  "private-dns-name": ({ task }) => [task.eni.privateDnsName],
  "association.public-ip": ({ task }) => [task.eni.publicIp],
  "mac-address": ({ task }) => [task.eni.macAddress],
  status: ({ task }) => [eniStatus(task)],
  description: ({ task }) => [eniDescription(task)],
  "attachment.status": ({ task }) => [task.eni.status === "ATTACHED" ? "attached" : "detached"],
  "requester-managed": () => ["true"],
  "interface-type": () => ["interface"],
  "owner-id": () => [accountId],
};

function eniStatus(task: Task): string {
  return task.eni.status === "ATTACHED" ? "in-use" : "available";
}

function eniDescription(task: Task): string {
  return `arn:aws:ecs:${task.region}:${accountId}:attachment/${task.eni.attachmentId}`;
}

function notFound(code: string, what: string, ids: string[]): AwsError {
  return ids.length === 1
    ? new AwsError(code, `The ${what} ID '${ids[0]}' does not exist`)
    : new AwsError(code, `The ${what} IDs '${ids.join(", ")}' do not exist`);
}

function eniToXml(task: Task, world: RegionWorld): XmlValue {
  const e = task.eni;
  const association = e.publicIp
    ? { publicIp: e.publicIp, publicDnsName: `ec2-${e.publicIp.replaceAll(".", "-")}.${task.region}.compute.amazonaws.com`, ipOwnerId: "amazon" }
    : undefined;
  return {
    networkInterfaceId: e.id,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    availabilityZone: e.availabilityZone,
    description: eniDescription(task),
    ownerId: accountId,
    requesterId: "578734482556",
    requesterManaged: true,
    status: eniStatus(task),
    macAddress: e.macAddress,
    privateIpAddress: e.privateIp,
    privateDnsName: e.privateDnsName,
    sourceDestCheck: true,
    groupSet: e.securityGroups.map((id) => ({ groupId: id, groupName: world.securityGroups.get(id)?.name ?? id })),
    attachment:
      e.status === "ATTACHED"
        ? { attachmentId: `ela-attach-${e.id.slice(4)}`, deviceIndex: 1, networkCardIndex: 0, instanceOwnerId: "amazon-aws", status: "attached", attachTime: new Date(e.attachedAt ?? task.createdAt).toISOString(), deleteOnTermination: false }
        : undefined,
    association,
    tagSet: [],
    privateIpAddressesSet: [{ privateIpAddress: e.privateIp, privateDnsName: e.privateDnsName, primary: true, association }],
    ipv6AddressesSet: [],
    interfaceType: "interface",
  };
}

function paginateEc2<T>(items: T[], params: URLSearchParams, explicitIds: boolean): { page: T[]; nextToken?: string } {
  const max = params.get("MaxResults");
  const token = params.get("NextToken");
  if (max !== null && explicitIds) throw new AwsError("InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults");
  const size = max === null ? items.length : Number(max);
  if (max !== null && (!Number.isInteger(size) || size < 5 || size > 1000)) throw new AwsError("InvalidParameterValue", `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  const start = token === null ? 0 : Number(Buffer.from(token, "base64").toString("utf8"));
  if (!Number.isInteger(start) || start < 0) throw new AwsError("InvalidParameterValue", "The token is invalid");
  const page = items.slice(start, start + size);
  return start + size < items.length ? { page, nextToken: Buffer.from(String(start + size)).toString("base64") } : { page };
}

/** DescribeNetworkInterfaces: the ENIs of tasks not yet STOPPED. */
export const describeNetworkInterfaces: Ec2Operation = ({ world }, params) => {
  const ids = listParam(params, "NetworkInterfaceId");
  const malformed = ids.filter((id) => !/^eni-[0-9a-f]{8,17}$/.test(id));
  if (malformed.length > 0) throw new AwsError("InvalidNetworkInterfaceID.Malformed", `Invalid id: "${malformed[0]}" (expecting "eni-...")`);
  const enis: EniView[] = [...world.tasks.values()].filter((t) => t.lastStatus !== "STOPPED").map((task) => ({ task, tags: [] }));
  const missing = ids.filter((id) => !enis.some((e) => e.task.eni.id === id));
  if (missing.length > 0) throw notFound("InvalidNetworkInterfaceID.NotFound", "networkInterface", missing);
  const selected = ids.length > 0 ? enis.filter((e) => ids.includes(e.task.eni.id)) : enis;
  const filtered = applyFilters(selected, filtersParam(params), eniFields);
  const { page, nextToken } = paginateEc2(filtered, params, ids.length > 0);
  return { networkInterfaceSet: page.map((e) => eniToXml(e.task, world)), nextToken };
};

/** DescribeSubnets. */
export const describeSubnets: Ec2Operation = ({ world }, params) => {
  const ids = listParam(params, "SubnetId");
  const all = [...world.subnets.values()];
  const missing = ids.filter((id) => !world.subnets.has(id));
  if (missing.length > 0) throw notFound("InvalidSubnetID.NotFound", "subnet", missing);
  const selected = ids.length > 0 ? all.filter((s) => ids.includes(s.id)) : all;
  const filters: Ec2Filter[] = filtersParam(params);
  const items = applyFilters(selected, filters, {
    "subnet-id": (s) => [s.id],
    "vpc-id": (s) => [s.vpcId],
    "availability-zone": (s) => [s.availabilityZone],
    "cidr-block": (s) => [s.cidrBlock],
    cidr: (s) => [s.cidrBlock],
    state: () => ["available"],
    "default-for-az": () => ["false"],
    "owner-id": () => [accountId],
  });
  const { page, nextToken } = paginateEc2(items, params, false);
  return {
    subnetSet: page.map((s) => ({
      subnetId: s.id,
      subnetArn: `arn:aws:ec2:${world.region}:${accountId}:subnet/${s.id}`,
      state: "available",
      ownerId: accountId,
      vpcId: s.vpcId,
      cidrBlock: s.cidrBlock,
      availableIpAddressCount: 2043 - [...world.tasks.values()].filter((t) => t.lastStatus !== "STOPPED" && t.eni.subnetId === s.id).length,
      availabilityZone: s.availabilityZone,
      availabilityZoneId: `${world.region.replace(/^(\w\w)-(\w)\w*-(\d)$/, "$1$2$3")}-az1`,
      defaultForAz: false,
      mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
      assignIpv6AddressOnCreation: false,
      ipv6CidrBlockAssociationSet: [],
      tagSet: tagSet(s.tags),
    })),
    nextToken,
  };
};

/** DescribeSecurityGroups. */
export const describeSecurityGroups: Ec2Operation = ({ world }, params) => {
  const ids = listParam(params, "GroupId");
  const names = listParam(params, "GroupName");
  const all = [...world.securityGroups.values()];
  const missing = ids.filter((id) => !world.securityGroups.has(id));
  if (missing.length > 0) throw new AwsError("InvalidGroup.NotFound", `The security group '${missing.join("', '")}' does not exist`);
  const missingNames = names.filter((n) => !all.some((g) => g.name === n));
  if (missingNames.length > 0) throw new AwsError("InvalidGroup.NotFound", `The security group '${missingNames[0]}' does not exist in default VPC`);
  const selected = all.filter((g) => (ids.length === 0 || ids.includes(g.id)) && (names.length === 0 || names.includes(g.name)));
  const items = applyFilters(selected, filtersParam(params), {
    "group-id": (g) => [g.id],
    "group-name": (g) => [g.name],
    "vpc-id": (g) => [g.vpcId],
    description: (g) => [g.description],
    "owner-id": () => [accountId],
  });
  const { page, nextToken } = paginateEc2(items, params, false);
  return {
    securityGroupInfo: page.map((g) => ({
      ownerId: accountId,
      groupId: g.id,
      groupName: g.name,
      groupDescription: g.description,
      vpcId: g.vpcId,
      securityGroupArn: `arn:aws:ec2:${world.region}:${accountId}:security-group/${g.id}`,
      ipPermissions: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22, groups: [], ipRanges: [{ cidrIp: "127.0.0.0/8" }], ipv6Ranges: [], prefixListIds: [] }],
      ipPermissionsEgress: [{ ipProtocol: "-1", groups: [], ipRanges: [{ cidrIp: "0.0.0.0/0" }], ipv6Ranges: [], prefixListIds: [] }],
      tagSet: tagSet(g.tags),
    })),
    nextToken,
  };
};

/** Action name -> handler. */
export const ec2Operations: Record<string, Ec2Operation> = {
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeSubnets: describeSubnets,
  DescribeSecurityGroups: describeSecurityGroups,
};
