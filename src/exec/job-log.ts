// The GitLab-like job log exec prints: section headers, warnings and the final verdict in the
// runner's colours, and the stages' own output passed through with masked values replaced.
import { ansi } from "./bash-script.js";
import { Masker } from "./masker.js";

/** Where the job log goes (process.stdout by default). */
export interface LogSink {
  write(chunk: string): unknown;
}

/** Writes the job log; every line exec writes and every output chunk is masked. */
export class JobLog {
  private atLineStart = true;
  private readonly masker: Masker;

  constructor(
    private readonly out: LogSink,
    private readonly color: boolean,
    secrets: readonly string[] = [],
  ) {
    this.masker = new Masker(secrets);
  }

  /** A section header, as the runner prints before each phase ("Preparing environment"). */
  header(text: string): void {
    this.own(text, ansi.boldCyan, "\x1b[0K");
  }

  /** A plain line. */
  line(text: string): void {
    this.own(text, "");
  }

  /** A "WARNING: ..." line in yellow. */
  warning(text: string): void {
    this.own(`WARNING: ${text}`, ansi.yellow);
  }

  /** An "ERROR: ..." line in bold red. */
  error(text: string): void {
    this.own(`ERROR: ${text}`, ansi.boldRed);
  }

  /** A line in bold green ("Job succeeded"). */
  success(text: string): void {
    this.own(text, ansi.boldGreen);
  }

  /** A writer for one output stream of a stage (stdout or stderr), masked chunk by chunk. */
  stream(): { write(chunk: string): void; end(): void } {
    const masker = new Masker(this.masker.secrets());
    return {
      write: (chunk) => this.raw(masker.push(chunk)),
      end: () => this.raw(masker.flush()),
    };
  }

  private raw(text: string): void {
    if (text === "") return;
    this.out.write(text);
    this.atLineStart = text.endsWith("\n");
  }

  private own(text: string, colour: string, prefix = ""): void {
    // Our lines always start on a line of their own, even after output without a final newline.
    if (!this.atLineStart) this.raw("\n");
    const masked = this.masker.maskAll(text);
    this.raw(this.color && colour !== "" ? `${prefix}${colour}${masked}${ansi.reset}\n` : `${masked}\n`);
  }
}
