// Durations as GitLab writes them: the `timeout:` keyword ("10m", "1h 30m", "3 hours 30 minutes",
// a bare number of seconds) and the runner's Go-style rendering in "execution took longer than".

const unitSeconds: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, wk: 604800, week: 604800, weeks: 604800,
};

/** Seconds in a `timeout:` value, or undefined when it is not a positive duration GitLab would accept. */
export function parseTimeout(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text) > 0 ? Number(text) : undefined;
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)[\s,]*(?:and\s+)?/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    const unit = unitSeconds[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  const seconds = Math.round(total);
  return seconds > 0 ? seconds : undefined;
}

/** Go's time.Duration String() for whole seconds: 3600 → "1h0m0s", 90 → "1m30s", 5 → "5s". */
export function formatGoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
