// Help texts for `fargate --help`, `fargate custom --help` and `fargate exec --help`.
// Printed without loading a config file, so they work on a fresh install.
import type { HelpTopic } from "./cli-args.js";

const MAIN = `fargate: GitLab Runner custom executor driver that runs each CI job in its own AWS ECS Fargate task

Usage:
  fargate [global flags] custom <config|prepare|run|cleanup>   (called by GitLab Runner)
  fargate [global flags] exec [--file .gitlab-ci.yml] [--config fargate.toml] JOB
  fargate [global flags] gc --runner SHORT_TOKEN [--older-than 10m] [--stale-after 24h] [--dry-run]

Commands:
  custom, c    run one custom-executor stage (see fargate custom --help)
  exec         run one job of a .gitlab-ci.yml locally through the driver, as GitLab Runner would
  gc           stop this runner's tasks that no live job owns, delete stale state files (see fargate gc --help)

Global flags (before the command):
  --config FILE              configuration file (default "config.toml"; GitLab's guide uses
                             /etc/gitlab-runner/fargate.toml)
  --debug                    log at debug level (overrides --log-level and LogLevel)
  --log-level LEVEL          debug, info, warning, error, fatal or panic (overrides LogLevel)
  --log-format FORMAT        text, text-simple or json (overrides LogFormat)
  --log-file FILE            append logs to FILE instead of stderr (overrides LogFile)
  --task-def VALUE           task definition: family, family:revision or ARN (overrides the
                             FARGATE_TASK_DEFINITION job variable and [Fargate] TaskDefinition)
  --platform-version VALUE   Fargate platform version (overrides the FARGATE_PLATFORM_VERSION job
                             variable and [Fargate] PlatformVersion)
  -h, --help                 show this help
  -v, --version              print the version

Configuration reference: docs/configuration.md
`;

const CUSTOM = `Usage: fargate [global flags] custom <stage> [arguments]

Stages (GitLab Runner calls them in this order):
  config, co    print the driver's name, version and the job id as JSON (no AWS call)
  prepare, p    start the job's Fargate task and wait until it accepts SSH
  run, r        run <script path> <stage name> in the task over SSH
  cleanup, cl   stop the task and delete the job's state file

Wire it into GitLab Runner's config.toml:
  [runners.custom]
    config_exec  = "/opt/gitlab-runner/fargate"
    config_args  = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "config"]
    prepare_exec = "/opt/gitlab-runner/fargate"
    prepare_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "prepare"]
    run_exec     = "/opt/gitlab-runner/fargate"
    run_args     = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "run"]
    cleanup_exec = "/opt/gitlab-runner/fargate"
    cleanup_args = ["--config", "/etc/gitlab-runner/fargate.toml", "custom", "cleanup"]

Exit codes: 0 success, $BUILD_FAILURE_EXIT_CODE when the job's script failed,
$SYSTEM_FAILURE_EXIT_CODE for everything else (both set by GitLab Runner).
`;

const EXEC = `Usage: fargate [global flags] exec [--file .gitlab-ci.yml] [--config fargate.toml] JOB

Runs one job of a .gitlab-ci.yml through this driver's config, prepare, run and cleanup stages,
imitating GitLab Runner's custom executor, and exits with the job's result.

Flags:
  -f, --file FILE     pipeline file (default ".gitlab-ci.yml")
  -c, --config FILE   driver configuration (default "fargate.toml")
  Global flags (--debug, --log-level, ...) may also follow exec; they are passed to every stage.
`;

const GC = `Usage: fargate [global flags] gc --runner SHORT_TOKEN [--runner ...] [--older-than 10m] [--stale-after 24h] [--dry-run]

Stops the tasks in the configured cluster that the named runner started (startedBy
gitlab-fargate-<token> and the tags gitlab-runner:runner / gitlab-runner:driver all match) and that
no live job owns (no fresh state file in [TaskMetadata] Directory names them), and deletes the state
files of jobs that are long over. Run it from cron or a systemd timer; see docs/gc.md.

Flags:
  --runner TOKEN        runner short token (first 9 characters after "glrt-"); required, repeatable.
                        Tasks of any other runner are never touched.
  --older-than DUR      never stop a task younger than this (default 10m)
  --stale-after DUR     a state file older than this belongs to a finished job (default 24h; keep it
                        above your longest job timeout)
  --dry-run             print what would be done, change nothing
  Global flags (--config, --debug, ...) may also follow gc. Default --config: fargate.toml.

Output: one line per action on stdout and a summary line. Exit codes: 0 when every action
succeeded (or there was nothing to do), 2 when AWS, the state files or the command line failed.
`;

/** The help text for a topic. */
export function helpText(topic: HelpTopic): string {
  return topic === "custom" ? CUSTOM : topic === "exec" ? EXEC : topic === "gc" ? GC : MAIN;
}
