// TagResource, UntagResource, ListTagsForResource on clusters, tasks and task definitions.
import type { ApiContext, EcsOperation } from "../api-context.js";
import { AwsError, clusterNotFound, invalidParameter } from "../errors.js";
import type { Tag } from "../model/types.js";
import { mergeTags, optStrings, optTags, reqString } from "./input.js";

interface Tagged {
  tags: Tag[];
}

/** The tagged resource an ECS ARN names (cluster, task or task definition). */
function resource({ world }: ApiContext, arn: string): Tagged {
  const m = /^arn:aws:ecs:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) throw invalidParameter("Invalid identifier: Unexpected number of separators");
  const [, region, , kind, rest] = m;
  if (region !== world.region) throw invalidParameter(`Invalid identifier: region ${region} does not match the request's region`);
  const notFound = new AwsError("ResourceNotFoundException", "The specified resource wasn't found.");
  switch (kind) {
    case "cluster": {
      const c = world.clusters.get(rest!);
      if (!c) throw clusterNotFound();
      return c;
    }
    case "task": {
      const t = world.task(arn);
      if (!t) throw notFound;
      return t;
    }
    case "task-definition": {
      const d = world.taskDefinition(arn);
      if (!d) throw notFound;
      return d;
    }
    default:
      throw invalidParameter(`Unsupported resource type: ${kind}`);
  }
}

/** TagResource. */
export const tagResource: EcsOperation = (ctx, input) => {
  const target = resource(ctx, reqString(input, "resourceArn"));
  const tags = optTags(input);
  if (!tags || tags.length === 0) throw invalidParameter("Tags can not be empty.");
  const merged = mergeTags(target.tags, tags);
  if (merged.length > 50) throw invalidParameter("Too many tags: at most 50 are allowed.");
  target.tags = merged;
  return {};
};

/** UntagResource. */
export const untagResource: EcsOperation = (ctx, input) => {
  const target = resource(ctx, reqString(input, "resourceArn"));
  const keys = optStrings(input, "tagKeys");
  if (!keys || keys.length === 0) throw invalidParameter("TagKeys can not be empty.");
  target.tags = target.tags.filter((t) => !keys.includes(t.key));
  return {};
};

/** ListTagsForResource. */
export const listTagsForResource: EcsOperation = (ctx, input) => {
  return { tags: resource(ctx, reqString(input, "resourceArn")).tags };
};
