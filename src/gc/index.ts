// Entry point of `fargate gc` for cli.ts: checks the options, then runs gc over the configured
// cluster and metadata directory. Loaded on demand, like the stages.
export { gcOptionsFrom, DEFAULT_OLDER_THAN, DEFAULT_STALE_AFTER, type GcOptions } from "./options.js";
export { runGc, stopReason, type GcContext } from "./run-gc.js";
