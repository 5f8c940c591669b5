// Fargate's valid task-level CPU/memory pairs (aws-facts.md), and the unit forms AWS accepts
// ("1 vCPU", "2 GB") normalised to CPU units and MiB.

const ranges: Array<{ cpu: number; min: number; max: number; step: number }> = [
  { cpu: 256, min: 512, max: 2048, step: 512 },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

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
  return ranges.some((r) => r.cpu === cpu && memory >= r.min && memory <= r.max && (memory - r.min) % r.step === 0);
}

/** AWS's message for an unsupported size. */
export function noFargateConfiguration(cpu: string, memory: string): string {
  return `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`;
}
