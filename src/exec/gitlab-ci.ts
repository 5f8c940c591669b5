// Reads a .gitlab-ci.yml and picks one job out of it, applying `default:` and the top-level keys
// the way GitLab does, so `fargate exec` runs the same commands a pipeline would.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { parseTimeout } from "./timeout.js";

/** A job selection problem (file missing, YAML invalid, job not found): one line, exit code 2. */
export class ExecInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExecInputError";
  }
}

/** A variable as written in `variables:` (GitLab's short and `{value, expand}` forms). */
export interface YamlVariable {
  key: string;
  value: string;
  /** false for `{value: ..., expand: false}`: `$` references stay literal. */
  expand: boolean;
}

/** The job's `image:` in its long form. */
export interface ImageSpec {
  name: string;
  entrypoint?: string[];
}

/** One of the job's `services:` in its long form. */
export interface ServiceSpec {
  name: string;
  alias?: string;
  entrypoint?: string[];
  command?: string[];
  variables?: YamlVariable[];
}

/** One job, resolved against `default:` and the file's top-level keys. */
export interface JobDefinition {
  name: string;
  stage: string;
  image: ImageSpec | undefined;
  services: ServiceSpec[];
  beforeScript: string[];
  script: string[];
  afterScript: string[];
  /** The file's global `variables:` first, then the job's (later entries win). */
  variables: YamlVariable[];
  timeoutSeconds: number;
  /** True when the job defines a non-empty `cache:` (restore_cache/archive_cache run). */
  hasCache: boolean;
  /** True when the job defines non-empty `artifacts:` (upload_artifacts runs). */
  hasArtifacts: boolean;
  /** The raw `cache:`/`artifacts:` values, for the job payload. */
  cache: unknown;
  artifacts: unknown;
}

/** GitLab's default job timeout when neither the job nor the project sets one: 1 hour. */
export const defaultJobTimeoutSeconds = 3600;

// Top-level keys that configure the pipeline rather than name a job.
const reservedKeys = new Set([
  "image", "services", "stages", "types", "before_script", "after_script", "variables", "cache",
  "include", "default", "workflow", "spec",
]);

type Mapping = Record<string, unknown>;

/** Reads `file` and returns job `jobName`; throws ExecInputError with a one-line message otherwise. */
export function loadJob(file: string, jobName: string): JobDefinition {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ExecInputError(`reading CI file "${file}": ${why} (pass the pipeline file with --file)`);
  }
  return parseJob(text, jobName, file);
}

/** Parses CI YAML text and returns job `jobName` (see loadJob); `file` only names the source in messages. */
export function parseJob(text: string, jobName: string, file = ".gitlab-ci.yml"): JobDefinition {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : "";
    const what = oneLine(first.message).replace(/ at line \d+, column \d+:?$/, "");
    throw new ExecInputError(`parsing CI file "${file}": invalid YAML${where}: ${what}`);
  }
  const unsupportedTag = doc.warnings.find((w) => w.message.includes("!reference"));
  if (unsupportedTag) {
    throw new ExecInputError(`parsing CI file "${file}": !reference tags are not supported by fargate exec; inline the referenced lines`);
  }
  const root: unknown = doc.toJS();
  if (!isMapping(root)) throw new ExecInputError(`parsing CI file "${file}": the top level must be a mapping of job names to jobs`);

  const jobs = Object.keys(root).filter((k) => !reservedKeys.has(k) && !k.startsWith(".") && isMapping(root[k]));
  const job = root[jobName];
  if (!jobs.includes(jobName) || !isMapping(job)) {
    const list = jobs.length > 0 ? `jobs in this file: ${jobs.join(", ")}` : "this file defines no jobs";
    const why = jobName.startsWith(".") ? "hidden jobs (starting with \".\") cannot be run" : reservedKeys.has(jobName) ? `"${jobName}" is a keyword, not a job` : "no such job";
    const include = "include" in root ? "; jobs from include: are not loaded by fargate exec" : "";
    throw new ExecInputError(`job "${jobName}" not found in "${file}": ${why}; ${list}${include}`);
  }
  if ("extends" in job) {
    throw new ExecInputError(`job "${jobName}" in "${file}" uses extends:, which fargate exec does not support; copy the extended keys into the job`);
  }
  const defaults = isMapping(root.default) ? root.default : {};
  // A job's key wins over default:, which wins over the deprecated top-level key.
  const pick = (key: string): unknown => (key in job ? job[key] : key in defaults ? defaults[key] : root[key]);
  const at = (key: string) => `job "${jobName}" key ${key}`;

  const script = toScript(job.script, at("script"));
  if (script.length === 0) throw new ExecInputError(`job "${jobName}" in "${file}" has no script: (every job needs a script to run)`);
  const timeoutValue = pick("timeout");
  let timeoutSeconds = defaultJobTimeoutSeconds;
  if (timeoutValue != null) {
    const parsed = parseTimeout(timeoutValue);
    if (parsed === undefined) {
      throw new ExecInputError(`${at("timeout")}: cannot read ${JSON.stringify(timeoutValue)} as a duration (e.g. "10m", "1h 30m", "3600")`);
    }
    timeoutSeconds = parsed;
  }
  const cache = pick("cache");
  const artifacts = pick("artifacts");
  return {
    name: jobName,
    stage: typeof job.stage === "string" ? job.stage : "test",
    image: toImage(pick("image"), at("image")),
    services: toServices(pick("services"), at("services")),
    beforeScript: toScript(pick("before_script"), at("before_script")),
    script,
    afterScript: toScript(pick("after_script"), at("after_script")),
    variables: [...toVariables(root.variables, "top-level variables"), ...toVariables(job.variables, at("variables"))],
    timeoutSeconds,
    hasCache: isNonEmpty(cache),
    hasArtifacts: isNonEmpty(artifacts),
    cache: cache ?? null,
    artifacts: artifacts ?? null,
  };
}

function isMapping(v: unknown): v is Mapping {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNonEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(isNonEmpty);
  if (isMapping(v)) return Object.keys(v).length > 0;
  return false;
}

function oneLine(s: string): string {
  return s.split("\n")[0]!.trim();
}

function scalar(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

// GitLab accepts a string or a list whose items may be nested lists (from YAML anchors), flattened.
function toScript(v: unknown, where: string): string[] {
  if (v == null) return [];
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) throw new ExecInputError(`${where}: expected a string or a list of strings`);
  const out: string[] = [];
  const walk = (items: unknown[], depth: number) => {
    for (const item of items) {
      if (Array.isArray(item) && depth < 10) walk(item, depth + 1);
      else {
        const s = scalar(item);
        if (s === undefined) throw new ExecInputError(`${where}: every line must be a string, found ${JSON.stringify(item)}`);
        out.push(s);
      }
    }
  };
  walk(v, 0);
  return out;
}

function toVariables(v: unknown, where: string): YamlVariable[] {
  if (v == null) return [];
  if (!isMapping(v)) throw new ExecInputError(`${where}: expected a mapping of NAME: value`);
  return Object.entries(v).map(([key, raw]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ExecInputError(`${where}: "${key}" is not a valid variable name`);
    if (raw == null) return { key, value: "", expand: true };
    const s = scalar(raw);
    if (s !== undefined) return { key, value: s, expand: true };
    if (isMapping(raw)) {
      const value = raw.value == null ? "" : scalar(raw.value);
      if (value === undefined) throw new ExecInputError(`${where}.${key}.value: expected a string`);
      return { key, value, expand: raw.expand !== false };
    }
    throw new ExecInputError(`${where}.${key}: expected a string or {value: ...}`);
  });
}

function toStringList(v: unknown, where: string): string[] | undefined {
  if (v == null) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw new ExecInputError(`${where}: expected a string or a list of strings`);
}

function toImage(v: unknown, where: string): ImageSpec | undefined {
  if (v == null || v === "") return undefined;
  if (typeof v === "string") return { name: v };
  if (isMapping(v) && typeof v.name === "string") {
    const entrypoint = toStringList(v.entrypoint, `${where}.entrypoint`);
    return entrypoint ? { name: v.name, entrypoint } : { name: v.name };
  }
  throw new ExecInputError(`${where}: expected an image name or {name: ...}`);
}

function toServices(v: unknown, where: string): ServiceSpec[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw new ExecInputError(`${where}: expected a list`);
  return v.map((item, i) => {
    if (typeof item === "string") return { name: item };
    if (isMapping(item) && typeof item.name === "string") {
      const spec: ServiceSpec = { name: item.name };
      if (typeof item.alias === "string") spec.alias = item.alias;
      const entrypoint = toStringList(item.entrypoint, `${where}[${i}].entrypoint`);
      if (entrypoint) spec.entrypoint = entrypoint;
      const command = toStringList(item.command, `${where}[${i}].command`);
      if (command) spec.command = command;
      const variables = toVariables(item.variables, `${where}[${i}].variables`);
      if (variables.length > 0) spec.variables = variables;
      return spec;
    }
    throw new ExecInputError(`${where}[${i}]: expected a service name or {name: ...}`);
  });
}
