// Fault rules injected through POST /_emulator/faults: AWS errors for an operation, RunTask
// `failures`, tasks that fail to start or are stopped once running, and SSH connection faults.
// Rules are validated as a batch (all problems reported at once) and counted down as they fire.
import type { ConnectionFault } from "./containers/types.js";
import { messageForError, statusForError } from "./errors.js";

/** Optional selectors narrowing a rule to some requests or tasks. */
export interface FaultMatch {
  region?: string;
  cluster?: string;
  family?: string;
  subnet?: string;
  capacityProvider?: string;
  startedBy?: string;
  group?: string;
}

/** What a rule is matched against (task rules know every field; op rules only region/cluster). */
export type FaultContext = Partial<Record<keyof FaultMatch, string>>;

type RuleBody =
  | { kind: "error"; op: string; error: string; message: string; status: number }
  | { kind: "failure"; op: "RunTask"; failure: string; detail?: string }
  | { kind: "failToStart"; stoppedReason: string }
  | { kind: "stopWhenRunning"; afterMs: number; stopCode: string; stoppedReason: string }
  | { kind: "sshStartDelay"; ms: number }
  | { kind: "sshRefuse" }
  | { kind: "sshDrop"; ms: number }
  | { kind: "sshHostKey" };

/** One active rule with what is left of it (remaining null = until cleared). */
export type FaultRule = RuleBody & { id: number; remaining: number | null; fired: number; match: FaultMatch };

/** Thrown for an invalid batch; the message lists every problem. */
export class FaultRuleError extends Error {}

/** Stop codes ECS uses, with the stoppedReason AWS shows by default. */
export const defaultStopReasons: Record<string, string> = {
  UserInitiated: "Task stopped by user",
  EssentialContainerExited: "Essential container in task exited",
  SpotInterruption: "Your Spot Task was interrupted.",
  TerminationNotice: "Task stopped because of a termination notice",
  ServiceSchedulerInitiated: "Scaling activity initiated by (deployment ecs-svc/0000000000000000000)",
  TaskFailedToStart: "ResourceInitializationError: failed to start the task",
};

const matchKeys: Array<keyof FaultMatch> = ["region", "cluster", "family", "subnet", "capacityProvider", "startedBy", "group"];
const defaultPullError =
  "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref registry.gitlab.com/image:latest: not found";

/** The active rule set. */
export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;

  /** Validates every rule of the batch, then adds them all (or none). */
  add(input: unknown): FaultRule[] {
    const batch = Array.isArray(input) ? input : [input];
    const problems: string[] = [];
    const parsed: FaultRule[] = [];
    batch.forEach((raw, i) => {
      const errs: string[] = [];
      const rule = parseRule(raw, errs);
      if (errs.length > 0 || !rule) problems.push(...errs.map((e) => `rule ${i}: ${e}`));
      else parsed.push(rule);
    });
    if (problems.length > 0) throw new FaultRuleError(problems.join("; "));
    for (const r of parsed) r.id = this.nextId++;
    this.rules.push(...parsed);
    return parsed;
  }

  /** Active rules and what is left of them. */
  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** Consumes an error rule for this operation, if one matches. */
  takeError(op: string, ctx: FaultContext): Extract<FaultRule, { kind: "error" }> | undefined {
    return this.take((r) => r.kind === "error" && r.op === op, ctx) as Extract<FaultRule, { kind: "error" }> | undefined;
  }

  /** The RunTask failure rule that would hit a task with this context (not consumed). */
  peekFailure(ctx: FaultContext): Extract<FaultRule, { kind: "failure" }> | undefined {
    return this.rules.find((r) => r.kind === "failure" && matches(r.match, ctx)) as Extract<FaultRule, { kind: "failure" }> | undefined;
  }

  /** Counts one firing of a rule, dropping it once used up. */
  consume(rule: FaultRule): void {
    rule.fired++;
    if (rule.remaining !== null) rule.remaining--;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
  }

  /** Consumes a failToStart rule for a new task. */
  takeFailToStart(ctx: FaultContext): { stoppedReason: string } | undefined {
    const r = this.take((x) => x.kind === "failToStart", ctx);
    return r?.kind === "failToStart" ? { stoppedReason: r.stoppedReason } : undefined;
  }

  /** Consumes a stopWhenRunning rule for a new task. */
  takeStopWhenRunning(ctx: FaultContext): { afterMs: number; stopCode: string; stoppedReason: string } | undefined {
    const r = this.take((x) => x.kind === "stopWhenRunning", ctx);
    return r?.kind === "stopWhenRunning" ? { afterMs: r.afterMs, stopCode: r.stopCode, stoppedReason: r.stoppedReason } : undefined;
  }

  /** The sshd start delay setting for a task (latest matching rule wins), if any. */
  sshStartDelay(ctx: FaultContext): number | undefined {
    const r = [...this.rules].reverse().find((x) => x.kind === "sshStartDelay" && matches(x.match, ctx));
    if (r?.kind !== "sshStartDelay") return undefined;
    this.consume(r);
    return r.ms;
  }

  /** The fault for one accepted SSH connection of a task (first matching SSH rule), if any. */
  connectionFault(ctx: FaultContext): ConnectionFault | undefined {
    const r = this.take((x) => x.kind === "sshRefuse" || x.kind === "sshDrop" || x.kind === "sshHostKey", ctx);
    if (r?.kind === "sshRefuse") return { kind: "refuse" };
    if (r?.kind === "sshDrop") return { kind: "dropAfterMs", ms: r.ms };
    if (r?.kind === "sshHostKey") return { kind: "changeHostKey" };
    return undefined;
  }

  private take(pred: (r: FaultRule) => boolean, ctx: FaultContext): FaultRule | undefined {
    const rule = this.rules.find((r) => pred(r) && matches(r.match, ctx));
    if (rule) this.consume(rule);
    return rule;
  }
}

/** True when every selector of the rule equals the context's value (clusters by name or ARN). */
function matches(match: FaultMatch, ctx: FaultContext): boolean {
  return matchKeys.every((k) => {
    const want = match[k];
    if (want === undefined) return true;
    const have = ctx[k];
    if (have === undefined) return false;
    return k === "cluster" ? lastSegment(want) === lastSegment(have) : want === have;
  });
}

function lastSegment(s: string): string {
  return s.slice(s.lastIndexOf("/") + 1);
}

function parseRule(raw: unknown, errs: string[]): FaultRule | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    errs.push("must be a JSON object");
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const match: FaultMatch = {};
  for (const k of matchKeys) {
    if (r[k] === undefined) continue;
    if (typeof r[k] !== "string" || r[k] === "") errs.push(`"${k}" must be a non-empty string`);
    else match[k] = r[k] as string;
  }
  let remaining: number | null = null;
  if (r.times !== undefined) {
    if (typeof r.times !== "number" || !Number.isInteger(r.times) || r.times < 1) errs.push(`"times" must be a positive integer`);
    else remaining = r.times;
  }
  const body = parseBody(r, errs);
  const allowed = new Set<string>([...matchKeys, "times", ...(body ? bodyKeys[body.kind] : [])]);
  for (const k of Object.keys(r)) if (!allowed.has(k) && body) errs.push(`unknown field "${k}"`);
  if (body?.kind === "error" && Object.keys(match).some((k) => k !== "region" && k !== "cluster")) {
    errs.push(`operation error rules can only match "region" and "cluster"`);
  }
  if (!body) return undefined;
  return { ...body, id: 0, remaining, fired: 0, match } as FaultRule;
}

const bodyKeys: Record<RuleBody["kind"], string[]> = {
  error: ["op", "error", "message", "status"],
  failure: ["op", "failure", "detail"],
  failToStart: ["task", "stoppedReason"],
  stopWhenRunning: ["task", "afterMs", "stopCode", "stoppedReason"],
  sshStartDelay: ["ssh", "value"],
  sshRefuse: ["ssh"],
  sshDrop: ["ssh", "value"],
  sshHostKey: ["ssh"],
};

function str(r: Record<string, unknown>, key: string, errs: string[], fallback?: string): string {
  const v = r[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string" || v === "") errs.push(`"${key}" must be a non-empty string`);
  return typeof v === "string" ? v : "";
}

function nonNegative(r: Record<string, unknown>, key: string, errs: string[]): number {
  const v = r[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) errs.push(`"${key}" must be a number >= 0`);
  return typeof v === "number" ? v : 0;
}

function parseBody(r: Record<string, unknown>, errs: string[]): RuleBody | undefined {
  const kinds = ["op", "task", "ssh"].filter((k) => r[k] !== undefined);
  if (kinds.length !== 1) {
    errs.push(`a rule needs exactly one of "op", "task" or "ssh"`);
    return undefined;
  }
  if (r.op !== undefined) {
    const op = str(r, "op", errs);
    if (op && !/^[A-Z][A-Za-z0-9]*$/.test(op)) errs.push(`"op" must be an API operation name such as "RunTask"`);
    if ((r.error === undefined) === (r.failure === undefined)) {
      errs.push(`an "op" rule needs exactly one of "error" or "failure"`);
      return undefined;
    }
    if (r.failure !== undefined) {
      if (op !== "RunTask") errs.push(`"failure" rules only apply to "RunTask"`);
      const failure = str(r, "failure", errs);
      const detail = r.detail === undefined ? undefined : str(r, "detail", errs);
      return { kind: "failure", op: "RunTask", failure, ...(detail === undefined ? {} : { detail }) };
    }
    const error = str(r, "error", errs);
    if (error && !/^[A-Za-z][A-Za-z0-9.]*$/.test(error)) errs.push(`"error" must be an AWS error name such as "ThrottlingException"`);
    const message = str(r, "message", errs, messageForError(error));
    let status = statusForError(error);
    if (r.status !== undefined) {
      if (typeof r.status !== "number" || !Number.isInteger(r.status) || r.status < 400 || r.status > 599) errs.push(`"status" must be an HTTP error status (400-599)`);
      else status = r.status;
    }
    return { kind: "error", op, error, message, status };
  }
  if (r.task !== undefined) {
    if (r.task === "failToStart") return { kind: "failToStart", stoppedReason: str(r, "stoppedReason", errs, defaultPullError) };
    if (r.task === "stopWhenRunning") {
      const afterMs = r.afterMs === undefined ? 0 : nonNegative(r, "afterMs", errs);
      const stopCode = str(r, "stopCode", errs, "SpotInterruption");
      if (stopCode && defaultStopReasons[stopCode] === undefined) errs.push(`"stopCode" must be one of ${Object.keys(defaultStopReasons).join(", ")}`);
      const stoppedReason = str(r, "stoppedReason", errs, defaultStopReasons[stopCode] ?? "");
      return { kind: "stopWhenRunning", afterMs, stopCode, stoppedReason };
    }
    errs.push(`"task" must be "failToStart" or "stopWhenRunning"`);
    return undefined;
  }
  switch (r.ssh) {
    case "startDelayMs":
      return { kind: "sshStartDelay", ms: nonNegative(r, "value", errs) };
    case "refuse":
      return { kind: "sshRefuse" };
    case "dropAfterMs":
      return { kind: "sshDrop", ms: nonNegative(r, "value", errs) };
    case "changeHostKey":
      return { kind: "sshHostKey" };
    default:
      errs.push(`"ssh" must be one of "startDelayMs", "refuse", "dropAfterMs", "changeHostKey"`);
      return undefined;
  }
}
