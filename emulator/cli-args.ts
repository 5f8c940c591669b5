// fargate-emulator's flags: parsed and validated before anything binds or starts. Every problem
// is an ArgsError (one line, exit 2).

/** A bad command line; the CLI prints it on one line and exits 2. */
export class ArgsError extends Error {}

/** Parsed flags. */
export interface CliOptions {
  help: boolean;
  host: string;
  port: number;
  timeScale: number;
  ssh: "embedded" | "openssh" | "none";
  region: string;
  workDir: string | undefined;
  sshdDelayMs: number | undefined;
  throttle: boolean;
  addressBlock: number | undefined;
}

/** --help text. */
export const usage = `Usage: fargate-emulator [options]

A local stand-in for AWS ECS Fargate (and a bit of EC2) whose tasks are SSH servers on loopback.

Options:
  --listen HOST:PORT     where to listen (default 127.0.0.1:4566); HOST must be in 127.0.0.0/8
                         or "localhost"; port 0 picks a free port
  --time-scale F         multiply every lifecycle duration by F (default 1; e.g. 0.02 in tests)
  --ssh KIND             container runtime: embedded (ssh2, default), openssh (private sshd),
                         or none (no SSH server: containers are simulated)
  --region NAME          the pre-seeded region (default us-east-2)
  --work-dir DIR         where per-task working directories live (default: a fresh temporary
                         directory, removed at exit)
  --sshd-delay-ms N      delay between RUNNING and the SSH server starting, before time scaling
                         (default 1500)
  --no-throttle          disable AWS's rate limits (token buckets)
  --address-block N      task addresses come from 127.N.0.0/16 (default: random N in 2..254)
  -h, --help             show this help
`;

function loopbackHost(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m || m.slice(1).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith("0")))) {
    throw new ArgsError(`refusing to listen on "${host}": give an IPv4 address in 127.0.0.0/8 or "localhost"`);
  }
  if (m[1] !== "127") throw new ArgsError(`refusing to listen on ${host}: only loopback addresses in 127.0.0.0/8 are allowed`);
  return host;
}

function parseListen(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(":");
  if (i <= 0) throw new ArgsError(`--listen expects HOST:PORT, got "${value}"`);
  const host = loopbackHost(value.slice(0, i));
  const portText = value.slice(i + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ArgsError(`--listen: invalid port "${portText}"`);
  return { host, port };
}

function number(flag: string, value: string, check: (n: number) => boolean, what: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new ArgsError(`${flag} expects ${what}, got "${value}"`);
  return n;
}

/** Parses argv (without node and the script). */
export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {
    help: false,
    host: "127.0.0.1",
    port: 4566,
    timeScale: 1,
    ssh: "embedded",
    region: "us-east-2",
    workDir: undefined,
    sshdDelayMs: undefined,
    throttle: true,
    addressBlock: undefined,
  };
  const args = [...argv];
  while (args.length > 0) {
    let arg = args.shift()!;
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) throw new ArgsError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "-h":
      case "--help":
        opts.help = true;
        break;
      case "--listen":
        Object.assign(opts, parseListen(value()));
        break;
      case "--time-scale":
        opts.timeScale = number(arg, value(), (n) => n > 0 && n <= 1000, "a number > 0");
        break;
      case "--ssh": {
        const v = value();
        if (v !== "embedded" && v !== "openssh" && v !== "none") throw new ArgsError(`--ssh expects embedded, openssh or none, got "${v}"`);
        opts.ssh = v;
        break;
      }
      case "--region": {
        const v = value();
        if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v)) throw new ArgsError(`--region expects a region name such as us-east-2, got "${v}"`);
        opts.region = v;
        break;
      }
      case "--work-dir":
        opts.workDir = value();
        if (opts.workDir === "") throw new ArgsError("--work-dir needs a directory");
        break;
      case "--sshd-delay-ms":
        opts.sshdDelayMs = number(arg, value(), (n) => n >= 0, "a number of milliseconds >= 0");
        break;
      case "--no-throttle":
        if (inline !== undefined) throw new ArgsError("--no-throttle takes no value");
        opts.throttle = false;
        break;
      case "--address-block":
        opts.addressBlock = number(arg, value(), (n) => Number.isInteger(n) && n >= 1 && n <= 254, "an integer in 1..254");
        break;
      default:
        throw new ArgsError(arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument "${arg}"`);
    }
  }
  return opts;
}
