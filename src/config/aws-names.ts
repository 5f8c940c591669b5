// The forms AWS accepts for the names the config carries, checked up front so a typo fails the job
// before RunTask (with the key named) instead of as an AWS error after a round trip, or, for a
// region, as an SDK endpoint error that does not say which key is wrong.

const NAME = "[A-Za-z0-9_-]{1,255}";
const ARN_HEAD = "arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d+";

/** `family`, `family:revision` (revision ≥ 1) or a task-definition ARN. */
export function isTaskDefinitionRef(value: string): boolean {
  return new RegExp(`^(${NAME}(:[1-9]\\d*)?|${ARN_HEAD}:task-definition/${NAME}(:[1-9]\\d*)?)$`).test(value);
}

/** A cluster name or a cluster ARN. */
export function isClusterRef(value: string): boolean {
  return new RegExp(`^(${NAME}|${ARN_HEAD}:cluster/${NAME})$`).test(value);
}

/**
 * An AWS region code of any partition: us-east-2, eu-central-1, cn-northwest-1, us-gov-west-1,
 * us-isob-east-1, eu-isoe-west-1, eusc-de-east-1 (European Sovereign Cloud). The SDK's partition
 * table matches `<2-4 letters>-<word>[-<word>]-<number>`; so does this, lowercase only.
 */
export function isRegion(value: string): boolean {
  return /^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(value);
}
