// Maps a stage name (and the Go driver's aliases) to its module, imported on demand: `config`
// must never load the AWS SDK or ssh2, and `run` (started ~10 times per job) only what it needs.
import type { StageContext } from "./context.js";

/** The custom-executor stages, in the order the runner calls them. */
export const STAGES = ["config", "prepare", "run", "cleanup"] as const;

/** One of the four custom-executor stages. */
export type StageName = (typeof STAGES)[number];

/** A stage's entry point. */
export type StageFunction = (ctx: StageContext) => Promise<void>;

// The Go driver's aliases ("co", "p", "r", "cl"); "c" is accepted for config too.
const ALIASES: Record<string, StageName> = { co: "config", c: "config", p: "prepare", r: "run", cl: "cleanup" };

/** The stage a command-line word names, or undefined. */
export function stageNamed(word: string): StageName | undefined {
  return (STAGES as readonly string[]).includes(word) ? (word as StageName) : ALIASES[word];
}

/** Imports only the named stage's module and returns its entry point. */
export async function loadStage(name: StageName): Promise<StageFunction> {
  switch (name) {
    case "config":
      return (await import("./config.js")).configStage;
    case "prepare":
      return (await import("./prepare.js")).prepareStage;
    case "run":
      return (await import("./run.js")).runStage;
    case "cleanup":
      return (await import("./cleanup.js")).cleanupStage;
  }
}
