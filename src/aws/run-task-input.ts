// Building the RunTask request the way GitLab's Go driver did (cluster default capacity strategy,
// container override for ci-coordinator carrying SSH_PUBLIC_KEY), plus the job tags and the
// startedBy marker that let operators attribute cost and find orphaned tasks.
import type { RunTaskCommandInput, Tag } from "@aws-sdk/client-ecs";

/** The container the task definition must name; it receives SSH_PUBLIC_KEY (Go driver contract). */
export const COORDINATOR_CONTAINER = "ci-coordinator";

/** Tag key namespace shared with the runner's own conventions. */
export const TAG_PREFIX = "gitlab-runner:";

/** The driver tag's value: marks tasks this driver started, whatever the runner. */
export const DRIVER_TAG_VALUE = "gitlab-fargate-driver";

/** What identifies a job on the task: every field optional because the runner may not send it. */
export interface TaskJobLabels {
  jobId?: string;
  projectId?: string;
  pipelineId?: string;
  runnerShortToken?: string;
  runnerId?: string;
}

/** Everything one RunTask attempt needs, in the driver's words. */
export interface StartTaskRequest {
  cluster: string;
  taskDefinition: string;
  subnet: string;
  securityGroups: string[];
  enablePublicIp: boolean;
  platformVersion: string | undefined;
  publicKey: string;
  labels: TaskJobLabels;
}

// ECS tag values allow letters, digits, spaces and _ . : / = + - @ (up to 256 characters).
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_").slice(0, 256);
}

/** The job's tags: job, project, pipeline, runner and driver; empty values are left out. */
export function jobTags(labels: TaskJobLabels): Tag[] {
  const pairs: [string, string | undefined][] = [
    ["job-id", labels.jobId],
    ["project-id", labels.projectId],
    ["pipeline-id", labels.pipelineId],
    ["runner", labels.runnerShortToken],
    ["runner-id", labels.runnerId],
    ["driver", DRIVER_TAG_VALUE],
  ];
  return pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== "")
    .map(([key, value]) => ({ key: TAG_PREFIX + key, value: tagValue(value) }));
}

/** The startedBy marker for this runner: `gitlab-fargate-<short token>` (letters, digits, - and _ only, 128 max). */
export function startedByMarker(runnerShortToken: string | undefined): string {
  const token = (runnerShortToken ?? "").replace(/[^A-Za-z0-9_-]/g, "");
  return (token ? `gitlab-fargate-${token}` : "gitlab-fargate-driver").slice(0, 128);
}

/** The RunTask input for one attempt on one subnet: no launchType, no capacityProviderStrategy. */
export function buildRunTaskInput(req: StartTaskRequest): RunTaskCommandInput {
  const input: RunTaskCommandInput = {
    cluster: req.cluster,
    taskDefinition: req.taskDefinition,
    count: 1,
    startedBy: startedByMarker(req.labels.runnerShortToken),
    tags: jobTags(req.labels),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [req.subnet],
        securityGroups: req.securityGroups,
        assignPublicIp: req.enablePublicIp ? "ENABLED" : "DISABLED",
      },
    },
    overrides: {
      containerOverrides: [
        { name: COORDINATOR_CONTAINER, environment: [{ name: "SSH_PUBLIC_KEY", value: req.publicKey }] },
      ],
    },
  };
  if (req.platformVersion) input.platformVersion = req.platformVersion;
  return input;
}
