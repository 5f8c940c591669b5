// Host keys and the task's authorized key, in the forms both runtimes need: ssh2 wants parsed
// keys and PEM text, sshd wants files, the model and tests compare OpenSSH public-key lines.
import { generateKeyPairSync, randomBytes } from "node:crypto";
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

/**
 * Generates a new ed25519 key pair in OpenSSH formats; every task (and every changeHostKey
 * alternate) gets its own host key. Not ssh2's generateKeyPairSync: it drops a leading zero
 * byte of the public key, so about one key in 256 is one sshd cannot load.
 */
export function generateHostKey(comment = ""): HostKeyPair {
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  const publicBytes = Buffer.from(jwk.x ?? "", "base64url");
  const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(publicBytes)]);
  const check = randomBytes(4);
  const secret = Buffer.concat([
    check,
    check,
    publicBlob,
    sshString(Buffer.concat([seed, publicBytes])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"), // cipher
    sshString("none"), // kdf
    sshString(""), // kdf options
    uint32(1), // number of keys
    sshString(publicBlob),
    sshString(Buffer.concat([secret, padding])),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return {
    privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKey: `ssh-ed25519 ${publicBlob.toString("base64")}`,
  };
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
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
