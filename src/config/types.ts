// The driver's configuration after parsing, normalising and validation (see config/load.ts).
// Key names follow GitLab's Go driver's fargate.toml so existing files load unchanged.
import type { LogFormat, LogLevel } from "../log.js";

/** The validated, normalised configuration every stage receives. */
export interface DriverConfig {
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Append logs here (mode 0600) instead of stderr. */
  logFile: string | undefined;
  fargate: {
    cluster: string;
    region: string | undefined;
    /** Subnet (singular key) first, then Subnets; tried in turn when one has no capacity. */
    subnets: string[];
    /** SecurityGroup (singular key) first, then SecurityGroups. */
    securityGroups: string[];
    /** `family`, `family:revision` or an ARN; job variable / --task-def already applied. */
    taskDefinition: string;
    enablePublicIp: boolean;
    /** Connect over the public IP; defaults to enablePublicIp. */
    usePublicIp: boolean;
    /** Omitted from RunTask when undefined; job variable / --platform-version already applied. */
    platformVersion: string | undefined;
    /** How long to wait for the task to reach RUNNING, in ms. */
    startTimeoutMs: number;
  };
  taskMetadata: {
    /** Where per-job state files live (created 0700 when missing). */
    directory: string;
  };
  ssh: {
    username: string;
    port: number;
    /** How long to keep retrying until sshd accepts our key, in ms. */
    readyTimeoutMs: number;
    /** Per-connection-attempt timeout, in ms. */
    connectTimeoutMs: number;
  };
}
