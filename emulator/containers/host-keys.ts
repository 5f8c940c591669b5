// Host keys and the task's authorized key, in the forms both runtimes need: ssh2 wants parsed
// keys and PEM text, sshd wants files, the model and tests compare OpenSSH public-key lines.
import ssh2, { type ParsedKey } from "ssh2";

// ssh2 is CommonJS: Node exposes it to ES modules as a default export only.
const { utils } = ssh2;

/** A freshly generated ed25519 host key pair. */
export interface HostKeyPair {
  /** OpenSSH private key file content (PEM), as ssh2 and sshd both read it. */
  privateKey: string;
  /** "ssh-ed25519 AAAA..." without a comment. */
  publicKey: string;
}

/** Generates a new ed25519 host key; every task (and every changeHostKey alternate) gets its own. */
export function generateHostKey(): HostKeyPair {
  const pair = utils.generateKeyPairSync("ed25519");
  return { privateKey: pair.private, publicKey: pair.public.split(/\s+/).slice(0, 2).join(" ") };
}

// The key types a Debian sshd accepts by default; DSA and the rest are refused there, so here too.
const ACCEPTED_KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
]);

/**
 * Parses the container's SSH_PUBLIC_KEY. Anything unusable (missing, malformed, several lines,
 * key options, an unaccepted type) yields undefined, meaning no key is accepted: a real container
 * with such a value starts fine and just refuses every login.
 */
export function parseAuthorizedKey(line: string | undefined): ParsedKey | undefined {
  const text = line?.trim();
  if (!text || text.includes("\n")) return undefined;
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.isPrivateKey()) return undefined;
  return ACCEPTED_KEY_TYPES.has(key.type) ? key : undefined;
}

/** The canonical authorized_keys line for a parsed key: type and blob only, no options or comment. */
export function authorizedKeyLine(key: ParsedKey): string {
  return `${key.type} ${key.getPublicSSH().toString("base64")}`;
}
