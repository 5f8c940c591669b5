// AWS's request and launch rate limits as wall-clock token buckets (never time-scaled: a client's
// retry backoff runs in real time). One set of buckets per region, as AWS counts per account+region.

/** Burst size and refill rate of one bucket. */
export interface BucketRate {
  burst: number;
  perSecond: number;
}

/** The bucket names, as shown and changed through /_emulator/throttling. */
export type BucketName = "launches" | "spotLaunches" | "runTask" | "ecsRead" | "ecsWrite" | "ec2Read";

/** Defaults modelled on AWS's documented quotas. */
export const defaultRates: Record<BucketName, BucketRate> = {
  launches: { burst: 100, perSecond: 20 },
  spotLaunches: { burst: 100, perSecond: 20 },
  runTask: { burst: 20, perSecond: 20 },
  ecsRead: { burst: 50, perSecond: 20 },
  ecsWrite: { burst: 50, perSecond: 20 },
  ec2Read: { burst: 100, perSecond: 20 },
};

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: BucketRate,
    private readonly now: () => number,
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  /** Tokens available now (after refill). */
  available(): number {
    const t = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((t - this.last) / 1000) * this.rate.perSecond);
    this.last = t;
    return this.tokens;
  }

  /** Takes n tokens if all are there. */
  take(n: number): boolean {
    if (this.available() < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** Which bucket an ECS or EC2 operation draws from. */
export function bucketFor(service: "ecs" | "ec2", op: string): BucketName {
  if (service === "ec2") return "ec2Read";
  if (op === "RunTask") return "runTask";
  return /^(Describe|List)/.test(op) ? "ecsRead" : "ecsWrite";
}

/** The throttling state of the whole emulator. */
export class Throttle {
  enabled: boolean;
  rates: Record<BucketName, BucketRate>;
  private buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly initiallyEnabled: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = initiallyEnabled;
    this.rates = structuredClone(defaultRates);
  }

  /** Takes n tokens from a region's bucket; false means "answer a throttling error". */
  take(region: string, bucket: BucketName, n = 1): boolean {
    return this.takeAll(region, [[bucket, n]]);
  }

  /** Takes tokens from several buckets, all or nothing (a RunTask mixing On-Demand and Spot). */
  takeAll(region: string, wants: Array<[BucketName, number]>): boolean {
    if (!this.enabled) return true;
    const buckets = wants.filter(([, n]) => n > 0).map(([name, n]) => [this.bucket(region, name), n] as const);
    if (buckets.some(([b, n]) => b.available() < n)) return false;
    for (const [b, n] of buckets) b.take(n);
    return true;
  }

  private bucket(region: string, name: BucketName): TokenBucket {
    const key = `${region}/${name}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.rates[name], this.now);
      this.buckets.set(key, b);
    }
    return b;
  }

  /** Changes settings; buckets restart full with the new rates. */
  configure(settings: { enabled?: boolean; rates?: Partial<Record<BucketName, Partial<BucketRate>>> }): void {
    if (settings.enabled !== undefined) this.enabled = settings.enabled;
    for (const [name, rate] of Object.entries(settings.rates ?? {}) as Array<[BucketName, Partial<BucketRate>]>) {
      this.rates[name] = { ...this.rates[name], ...rate };
    }
    this.buckets.clear();
  }

  /** Back to the start-up settings with full buckets. */
  reset(): void {
    this.enabled = this.initiallyEnabled;
    this.rates = structuredClone(defaultRates);
    this.buckets.clear();
  }
}
