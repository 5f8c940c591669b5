// The driver's version, from package.json: found relative to this module both when run from
// source (src/version.ts → ../package.json) and when built (dist/src/version.js → ../../package.json).
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The package.json version ("unknown" if the file cannot be found, which only a broken install causes). */
export function driverVersion(): string {
  if (cached !== undefined) return cached;
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { version?: unknown; bin?: Record<string, unknown> };
      if (typeof pkg.version === "string" && pkg.bin?.fargate !== undefined) return (cached = pkg.version);
    } catch {
      // try the next location
    }
  }
  return (cached = "unknown");
}
