// Fargate's valid task-level CPU/memory pairs (aws-facts.md), and the unit forms AWS accepts
// ("1 vCPU", "2 GB") normalised to CPU units and MiB.

/** min..max MiB in steps of step. */
function steps(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let m = min; m <= max; m += step) out.push(m);
  return out;
}

/** AWS's Fargate task-size table: CPU units -> the memory sizes (MiB) it allows. */
const sizes = new Map<number, ReadonlySet<number>>([
  [256, new Set([512, 1024, 2048])],
  [512, new Set(steps(1024, 4096, 1024))],
  [1024, new Set(steps(2048, 8192, 1024))],
  [2048, new Set(steps(4096, 16384, 1024))],
  [4096, new Set(steps(8192, 30720, 1024))],
  [8192, new Set(steps(16384, 61440, 4096))],
  [16384, new Set(steps(32768, 122880, 8192))],
]);

/** CPU units from "256", "0.25 vCPU", "1 vcpu"; undefined when unparseable. */
export function parseCpu(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(value);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}

/** MiB from "512", "1 GB", "2gb"; undefined when unparseable. */
export function parseMemory(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(value);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}

/** True when Fargate offers this task size. */
export function isFargateSize(cpu: number, memory: number): boolean {
  return sizes.get(cpu)?.has(memory) ?? false;
}

/** AWS's message for an unsupported size. */
export function noFargateConfiguration(cpu: string, memory: string): string {
  return `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`;
}
