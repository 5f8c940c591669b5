// EC2 Describe* filtering: each filter name maps to the resource's values; a filter matches when
// any of its values (with * and ? wildcards) matches any of the resource's values.
import { AwsError } from "../errors.js";
import type { Tag } from "../model/types.js";
import type { Ec2Filter } from "../protocol/ec2-query.js";

/** Filter name -> the resource's values for it. */
export type FilterFields<T> = Record<string, (item: T) => Array<string | undefined>>;

function glob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}

/** Applies every filter (AND across filters, OR across values); unknown names fail as EC2 does. */
export function applyFilters<T extends { tags: Tag[] }>(items: T[], filters: Ec2Filter[], fields: FilterFields<T>): T[] {
  for (const f of filters) {
    if (!f.name.startsWith("tag:") && f.name !== "tag-key" && f.name !== "tag-value" && !fields[f.name]) {
      throw new AwsError("InvalidParameterValue", `The filter '${f.name}' is invalid`);
    }
  }
  return items.filter((item) =>
    filters.every((f) => {
      let have: Array<string | undefined>;
      if (f.name.startsWith("tag:")) have = item.tags.filter((t) => t.key === f.name.slice(4)).map((t) => t.value);
      else if (f.name === "tag-key") have = item.tags.map((t) => t.key);
      else if (f.name === "tag-value") have = item.tags.map((t) => t.value);
      else have = fields[f.name]!(item);
      const patterns = f.values.map(glob);
      return have.some((h) => h !== undefined && patterns.some((p) => p.test(h)));
    }),
  );
}

/** EC2's <tagSet> shape. */
export function tagSet(tags: Tag[]): Array<{ key: string; value: string }> {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}
