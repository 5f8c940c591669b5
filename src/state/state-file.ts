// One state file per job, <TaskMetadata.Directory>/<job id>.json: written atomically (temp file in
// the same directory, fsync, rename) with mode 0600 in a 0700 directory, and read back through a
// schema so a truncated or hand-edited file is reported instead of half-used.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, chmod, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { DriverError } from "../errors.js";
import type { JobState } from "./types.js";

// The Go driver's wording, kept so its troubleshooting docs still match (see the seed guide).
const READING = "obtaining information about the running task";

const nonEmpty = v.pipe(v.string(), v.minLength(1));
// Loose: fields added to JobState later survive a read even before this schema learns them.
const JobStateSchema = v.looseObject({
  version: v.literal(1),
  id: nonEmpty,
  jobId: nonEmpty,
  region: v.optional(v.string()),
  cluster: nonEmpty,
  taskArn: nonEmpty,
  privateKey: nonEmpty,
  address: v.optional(nonEmpty),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
  username: v.optional(nonEmpty),
  hostKey: v.optional(nonEmpty),
  createdAt: nonEmpty,
});

/** The state file's path for a job id; throws if the id could escape the directory. */
export function statePath(directory: string, id: string): string {
  if (id === "" || id.includes("/") || id.includes("\\") || id.startsWith(".")) {
    throw new DriverError("state_invalid_id", `building the state file name: job id ${JSON.stringify(id)} is not a safe file name`);
  }
  return join(directory, `${id}.json`);
}

/**
 * Creates the metadata directory (0700) when missing, tightens an existing one open to group or others
 * (e.g. made 0755 by `sudo mkdir -p`) to 0700, and checks it is writable; the error names it and the fix.
 */
export async function ensureStateDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const info = await stat(directory);
    if (!info.isDirectory()) throw new Error("it exists but is not a directory");
    if ((info.mode & 0o077) !== 0) await tighten(directory);
    await access(directory, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new DriverError(
      "state_dir_unusable",
      `preparing the task metadata directory "${directory}" ([TaskMetadata] Directory): ${reason(err)}; ` +
        `create it and make it writable by the user running the driver (usually gitlab-runner), ` +
        `e.g. sudo install -d -m 0700 -o gitlab-runner "${directory}"`,
      "system",
      { cause: err },
    );
  }
}

// Only the owner may chmod: a directory someone else owns stays as it is (the files are 0600 anyway).
async function tighten(directory: string): Promise<void> {
  try {
    await chmod(directory, 0o700);
  } catch (err) {
    if (errnoCode(err) !== "EPERM") throw err;
  }
}

/** Writes the job's state atomically (mode 0600), creating the directory (0700) if needed; returns the path. */
export async function writeState(directory: string, state: JobState): Promise<string> {
  const path = statePath(directory, state.id);
  await ensureStateDirectory(directory);
  // Same directory as the target so rename() is atomic; unique so concurrent writers never share it.
  const temp = join(directory, `.${state.id}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(state, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDirectory(directory);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new DriverError("state_write_failed", `saving the task metadata: writing file "${path}": ${reason(err)}`, "system", {
      cause: err,
    });
  }
  return path;
}

/** Reads and validates the job's state; the messages keep the Go driver's wording for a missing file. */
export async function readState(directory: string, id: string): Promise<JobState> {
  const path = statePath(directory, id);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") {
      throw new DriverError("state_missing", `${READING}: trying to access file "${path}": file does not exist`, "system", {
        cause: err,
      });
    }
    throw new DriverError(
      "state_unreadable",
      `${READING}: trying to access file "${path}": ${reason(err)}; run the driver as the user that owns the metadata directory (usually gitlab-runner)`,
      "system",
      { cause: err },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw corrupted(path, `it is not valid JSON (${jsonProblem(err)})`);
  }
  const result = v.safeParse(JobStateSchema, data);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`);
    throw corrupted(path, `it does not hold a job state (${problems.join("; ")})`);
  }
  if (result.output.id !== id) {
    throw corrupted(path, `it belongs to job ${JSON.stringify(result.output.id)}, not ${JSON.stringify(id)}`);
  }
  return result.output as JobState;
}

/** Deletes the job's state file; returns false when it was already gone. */
export async function deleteState(directory: string, id: string): Promise<boolean> {
  const path = statePath(directory, id);
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return false;
    throw new DriverError("state_delete_failed", `deleting the task metadata file "${path}": ${reason(err)}`, "system", {
      cause: err,
    });
  }
}

function corrupted(path: string, why: string): DriverError {
  return new DriverError(
    "state_corrupted",
    `${READING}: reading file "${path}": ${why}; the file is damaged (truncated or edited): ` +
      `check the cluster for a task left running by this job and stop it, then delete the file`,
  );
}

// Makes the rename durable across a crash; not every filesystem supports fsync on a directory.
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

// V8 quotes the text around a JSON syntax error (..."vateKey": b3Bl"...), which may be a piece of the
// job's private key: say only where the file broke, never what it holds.
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : "";
  if (/end of JSON input|Unterminated/i.test(message)) return "it ends early: truncated";
  const position = /at position (\d+)/.exec(message);
  return position ? `malformed at character ${position[1]}` : "malformed";
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

function reason(err: unknown): string {
  const code = errnoCode(err);
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on device";
  if (code === "EROFS") return "read-only file system";
  return err instanceof Error ? err.message : String(err);
}
