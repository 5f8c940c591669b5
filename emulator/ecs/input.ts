// Typed reads of ECS JSON input members. The SDKs validate types client-side, so a wrong type
// here means a hand-written request: answer as AWS's JSON protocol does (SerializationException).
import { AwsError, invalidParameter } from "../errors.js";
import type { Tag } from "../model/types.js";

function serialization(key: string): AwsError {
  return new AwsError("SerializationException", `Unexpected value for member ${key}`);
}

/** An optional string member. */
export function optString(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw serialization(key);
  return v;
}

/** A required string member (InvalidParameterException when missing, as ECS answers). */
export function reqString(input: Record<string, unknown>, key: string): string {
  const v = optString(input, key);
  if (v === undefined || v === "") throw invalidParameter(`${key} can not be blank.`);
  return v;
}

/** An optional list of strings. */
export function optStrings(input: Record<string, unknown>, key: string): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw serialization(key);
  return v as string[];
}

/** An optional integer member. */
export function optInt(input: Record<string, unknown>, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw serialization(key);
  return v;
}

/** An optional object member. */
export function optObject(input: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw serialization(key);
  return v as Record<string, unknown>;
}

/** A list of {key, value} tags, validated as ECS does. */
export function optTags(input: Record<string, unknown>, key = "tags"): Tag[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw serialization(key);
  return v.map((t: { key?: unknown; value?: unknown }) => {
    if (typeof t?.key !== "string" || t.key === "" || t.key.length > 128) throw invalidParameter("Tag keys must be between 1 and 128 characters.");
    const value = t.value === undefined ? "" : t.value;
    if (typeof value !== "string" || value.length > 256) throw invalidParameter("Tag values must be between 0 and 256 characters.");
    return { key: t.key, value };
  });
}

/** Merges tags, later keys replacing earlier ones. */
export function mergeTags(base: Tag[], add: Tag[]): Tag[] {
  const m = new Map(base.map((t) => [t.key, t.value]));
  for (const t of add) m.set(t.key, t.value);
  return [...m].map(([k, v]) => ({ key: k, value: v }));
}

/** Pagination over a list with an opaque numeric nextToken. */
export function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined, max = 100): { page: T[]; nextToken?: string } {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > max)) throw invalidParameter(`maxResults must be between 1 and ${max}.`);
  let start = 0;
  if (nextToken !== undefined) {
    const decoded = Number(Buffer.from(nextToken, "base64").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0) throw invalidParameter("Invalid nextToken.");
    start = decoded;
  }
  const size = maxResults ?? max;
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString("base64") : undefined;
  return next ? { page, nextToken: next } : { page };
}
