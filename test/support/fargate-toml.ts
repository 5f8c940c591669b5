// The fargate.toml the driver tests run with: the emulator's seeded world (the setup guide's names),
// the metadata directory in the test's own folder, and extra lines where a test needs them.
import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";

/** Where the file's variable parts go. */
export interface SeededTomlOptions {
  /** [TaskMetadata] Directory. */
  directory: string;
  /** Lines before [Fargate] (top-level keys). */
  top?: string;
  /** Lines at the end of [Fargate]. */
  fargate?: string;
  /** Lines at the end of [SSH]. */
  ssh?: string;
  /** [SSH] Username: by default the user the tests run as (the emulator's containers run as them). */
  username?: string;
}

/** The file's text. */
export function seededFargateToml(options: SeededTomlOptions): string {
  return `LogLevel = "info"
${options.top ?? ""}
[Fargate]
  Cluster = "test-cluster"
  Region = "us-east-2"
  Subnet = "subnet-xxxxxx"
  SecurityGroup = "sg-xxxxxxxxxxxxx"
  TaskDefinition = "test-task:1"
${options.fargate ?? ""}
[TaskMetadata]
  Directory = "${options.directory}"
[SSH]
  Username = "${options.username ?? userInfo().username}"
  Port = 22
${options.ssh ?? ""}
`;
}

/** Writes the file to `path` and returns `path`. */
export function writeSeededFargateToml(path: string, options: SeededTomlOptions): string {
  writeFileSync(path, seededFargateToml(options));
  return path;
}
