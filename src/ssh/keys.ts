// Per-job SSH key pairs: a fresh ed25519 pair for every job (RSA/ssh-rsa is refused by modern OpenSSH).
import ssh2 from "ssh2";
import { DriverError } from "../errors.js";

/** An OpenSSH-format key pair; the private half is never logged. */
export interface JobKeyPair {
  /** "-----BEGIN OPENSSH PRIVATE KEY-----..." */
  privateKey: string;
  /** "ssh-ed25519 AAAA... <comment>", what the container's SSH_PUBLIC_KEY receives. */
  publicKey: string;
}

// An ed25519 public key blob: string "ssh-ed25519" (4 + 11 bytes) and the 32-byte key (4 + 32).
const ED25519_BLOB_LENGTH = 51;
const MAX_ATTEMPTS = 16;

/** True when both halves parse and the public key has its full 32 bytes. */
export function isUsableKeyPair(pair: JobKeyPair): boolean {
  const parsedPrivate = ssh2.utils.parseKey(pair.privateKey);
  const parsedPublic = ssh2.utils.parseKey(pair.publicKey);
  if (parsedPrivate instanceof Error || parsedPublic instanceof Error) return false;
  const pub = Array.isArray(parsedPublic) ? parsedPublic[0] : parsedPublic;
  return pub !== undefined && pub.getPublicSSH().length === ED25519_BLOB_LENGTH;
}

/** Generates a fresh ed25519 key pair; the comment names the job so a container's authorized_keys is traceable. */
export function generateJobKeyPair(comment: string): JobKeyPair {
  const safeComment = comment.replace(/[^\w.@:-]/g, "_");
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const generated = ssh2.utils.generateKeyPairSync("ed25519", { comment: safeComment });
    const pair = { privateKey: generated.private, publicKey: generated.public };
    // ssh2 drops a leading zero byte of the public key (about 1 key in 256), which leaves a pair
    // that neither ssh2 nor sshd accepts: draw again.
    if (isUsableKeyPair(pair)) return pair;
  }
  throw new DriverError("ssh_keygen_failed", `generating the job's SSH key: no usable ed25519 key after ${MAX_ATTEMPTS} attempts`);
}
