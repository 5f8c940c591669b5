// The setup guide's (the seed document's) fargate.toml and .gitlab-ci.yml, taken from the
// document itself when the project's shared/ folder is beside the checkout (as in CI), else
// from the verbatim copy below; a test checks that the two agree.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const seedDir = path.resolve(repoRoot, "../shared/seed");

/** Verbatim copy of the guide's fargate.toml (step 4), its code-block indentation removed. */
export const SEED_FARGATE_TOML = `LogLevel = "info"
LogFormat = "text"

[Fargate]
  Cluster = "test-cluster"
  Region = "us-east-2"
  Subnet = "subnet-xxxxxx"
  SecurityGroup = "sg-xxxxxxxxxxxxx"
  TaskDefinition = "test-task:1"
  EnablePublicIP = true

[TaskMetadata]
  Directory = "/opt/gitlab-runner/metadata"

[SSH]
  Username = "root"
  Port = 22
`;

/** The seed document's text, or undefined when shared/ is not beside this checkout. */
export function seedDocument(): string | undefined {
  if (!existsSync(seedDir)) return undefined;
  const file = readdirSync(seedDir).find((f) => f.endsWith(".txt"));
  return file ? readFileSync(path.join(seedDir, file), "utf8") : undefined;
}

/** The code block of the seed document that starts with `firstLine`, dedented. */
export function seedCodeBlock(doc: string, fence: string, firstLine: string): string {
  const at = doc.indexOf(firstLine);
  if (at < 0) throw new Error(`the seed document has no block starting with ${firstLine}`);
  const open = doc.lastIndexOf("```" + fence, at);
  const close = doc.indexOf("```", at);
  const lines = doc.slice(doc.indexOf("\n", open) + 1, close).split("\n");
  const indent = /^ */.exec(lines[0]!)![0].length;
  return lines.map((l) => l.slice(indent)).join("\n").replace(/\n+$/, "\n");
}
