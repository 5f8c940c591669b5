// The config stage's stdout, read as the runner reads it: empty, or exactly one JSON object whose
// known keys have the right types (unknown keys ignored). Anything else fails the job.

/** What the config stage decided, merged over exec's defaults. */
export interface ConfigOutput {
  buildsDir: string;
  cacheDir: string;
  buildsDirIsShared: boolean;
  hostname?: string;
  jobEnv: Record<string, string>;
  driver?: { name?: string; version?: string };
  shell?: "bash" | "sh";
}

/** Parses config's stdout over the defaults; returns an error message (a system failure) when invalid. */
export function parseConfigOutput(stdout: string, defaults: ConfigOutput): ConfigOutput | string {
  if (stdout.trim() === "") return defaults;
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (err) {
    return `error while parsing JSON output: ${(err as Error).message} (the config stage must print exactly one JSON object on stdout; logs belong on stderr)`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "error while parsing JSON output: expected one JSON object on the config stage's stdout";
  }
  const o = value as Record<string, unknown>;
  const out: ConfigOutput = { ...defaults, jobEnv: {} };
  const bad = (key: string, expected: string) => `error while parsing JSON output: "${key}" must be ${expected}, found ${JSON.stringify(o[key])}`;
  for (const [key, field] of [["builds_dir", "buildsDir"], ["cache_dir", "cacheDir"], ["hostname", "hostname"]] as const) {
    if (o[key] == null) continue;
    if (typeof o[key] !== "string") return bad(key, "a string");
    if (o[key] !== "") out[field] = o[key];
  }
  if (o.builds_dir_is_shared != null) {
    if (typeof o.builds_dir_is_shared !== "boolean") return bad("builds_dir_is_shared", "a boolean");
    out.buildsDirIsShared = o.builds_dir_is_shared;
  }
  if (o.job_env != null) {
    if (typeof o.job_env !== "object" || Array.isArray(o.job_env)) return bad("job_env", "an object of strings");
    for (const [k, v] of Object.entries(o.job_env as Record<string, unknown>)) {
      if (typeof v !== "string") return bad("job_env", "an object of strings");
      out.jobEnv[k] = v;
    }
  }
  if (o.driver != null) {
    if (typeof o.driver !== "object" || Array.isArray(o.driver)) return bad("driver", "an object {name, version}");
    const d = o.driver as Record<string, unknown>;
    out.driver = {};
    if (typeof d.name === "string") out.driver.name = d.name;
    if (typeof d.version === "string") out.driver.version = d.version;
  }
  if (o.shell != null && o.shell !== "") {
    if (o.shell === "pwsh" || o.shell === "powershell") {
      return `the config stage asked for shell "${o.shell}"; fargate exec generates bash scripts only`;
    }
    if (o.shell !== "bash" && o.shell !== "sh") return bad("shell", "one of bash, sh, pwsh, powershell");
    out.shell = o.shell;
  }
  return out;
}
