// Go-style duration strings ("90s", "10m", "1h30m", "1.5h", "500ms"), as Go's time.ParseDuration
// reads them, so timeouts read the same way in fargate.toml as in GitLab Runner's config.toml.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration string into milliseconds; undefined when it is not one (or is negative). */
export function parseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === "0") return 0;
  const part = /([0-9]*\.?[0-9]*)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  if (input === "") return undefined;
  while (index < input.length) {
    part.lastIndex = index;
    const match = part.exec(input);
    if (match === null || match[1] === "" || match[1] === ".") return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    index = part.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Formats milliseconds the Go way ("1h30m0s" style, shortened: "1h30m", "90s" → "1m30s"), for messages and docs. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours > 0 ? `${hours}h` : ""}${minutes > 0 ? `${minutes}m` : ""}${seconds > 0 ? `${seconds}s` : ""}` || "0s";
}
