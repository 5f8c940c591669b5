// How long each lifecycle phase takes at --time-scale 1, modelled on real Fargate: about 37 s from
// RunTask to RUNNING (ENI attachment, then an uncached image pull dominates), about 13 s to stop
// plus however long the container's processes take to exit.

/** Phase durations in milliseconds. */
export interface LifecycleDurations {
  provisioningMs: number;
  pendingMs: number;
  activatingMs: number;
  sshdDelayMs: number;
  deactivatingMs: number;
  stoppingMs: number;
  deprovisioningMs: number;
  /** Default container stopTimeout (SIGTERM to SIGKILL), 30 s on ECS. */
  stopTimeoutMs: number;
}

/** Real-Fargate-like durations (time scale 1). */
export const fargateDurations: LifecycleDurations = {
  provisioningMs: 8_000,
  pendingMs: 24_000,
  activatingMs: 5_000,
  sshdDelayMs: 1_500,
  deactivatingMs: 3_000,
  stoppingMs: 2_000,
  deprovisioningMs: 8_000,
  stopTimeoutMs: 30_000,
};

/** Every duration multiplied by the time scale (sshdDelayMs may be overridden first, unscaled). */
export function scaleDurations(base: LifecycleDurations, factor: number): LifecycleDurations {
  const out = { ...base };
  for (const k of Object.keys(out) as Array<keyof LifecycleDurations>) out[k] = Math.round(base[k] * factor);
  return out;
}
