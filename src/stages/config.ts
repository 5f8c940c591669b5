// config: tell the runner who we are. stdout carries exactly one JSON object (any other byte fails
// the job), so warnings go to the logger. No AWS API is touched; the metadata directory is checked
// here so a permission problem surfaces before a task is started.
import { ensureStateDirectory } from "../state/state-file.js";
import type { StageContext } from "./context.js";

/** The object the runner reads from the config stage's stdout. */
export interface ConfigOutput {
  driver: { name: "fargate"; version: string };
  /** The job id (the Go driver's scheme), shown by the runner as the executor's hostname. */
  hostname: string;
}

/** Prints the driver's name, version and the job's id as one JSON object on stdout. */
export async function configStage(ctx: StageContext): Promise<void> {
  await ensureStateDirectory(ctx.config.taskMetadata.directory);
  const output: ConfigOutput = { driver: { name: "fargate", version: ctx.version }, hostname: ctx.job.id };
  await new Promise<void>((resolve, reject) => {
    ctx.stdout.write(JSON.stringify(output) + "\n", (err) => (err ? reject(err) : resolve()));
  });
}
