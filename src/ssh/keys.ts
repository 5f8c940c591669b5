// Per-job SSH key pairs: a fresh ed25519 pair for every job (RSA/ssh-rsa is refused by modern OpenSSH).
import ssh2 from "ssh2";

/** An OpenSSH-format key pair; the private half is never logged. */
export interface JobKeyPair {
  /** "-----BEGIN OPENSSH PRIVATE KEY-----..." */
  privateKey: string;
  /** "ssh-ed25519 AAAA... <comment>", what the container's SSH_PUBLIC_KEY receives. */
  publicKey: string;
}

/** Generates a fresh ed25519 key pair; the comment names the job so a container's authorized_keys is traceable. */
export function generateJobKeyPair(comment: string): JobKeyPair {
  const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment: comment.replace(/[^\w.@:-]/g, "_") });
  return { privateKey: pair.private, publicKey: pair.public };
}
