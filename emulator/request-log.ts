// The API calls received, for GET /_emulator/requests: a bounded ring, oldest dropped first.

/** One recorded ECS or EC2 call. */
export interface RequestRecord {
  time: string;
  service: "ecs" | "ec2" | "unknown";
  operation: string;
  region: string;
  parameters: unknown;
  status: number;
  /** "ok" or the AWS error name answered. */
  outcome: string;
}

/** Keeps the last `limit` requests. */
export class RequestLog {
  private records: RequestRecord[] = [];

  constructor(private readonly limit = 10_000) {}

  /** Appends a record, dropping the oldest beyond the limit. */
  add(record: RequestRecord): void {
    this.records.push(record);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
  }

  /** Every kept record, oldest first. */
  list(): RequestRecord[] {
    return [...this.records];
  }

  /** Forgets everything. */
  clear(): void {
    this.records = [];
  }
}
