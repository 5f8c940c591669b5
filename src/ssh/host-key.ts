// Host keys as OpenSSH writes them ("ssh-ed25519 AAAA..."), built from the raw blob ssh2 hands
// to a host verifier, so prepare can record the key and run can insist on it.

/** Formats a raw SSH public key blob as "<type> <base64>". */
export function formatHostKey(blob: Buffer): string {
  // The blob starts with the key type as an SSH string: uint32 length, then the name.
  let type = "unknown";
  if (blob.length >= 4) {
    const length = blob.readUInt32BE(0);
    if (length > 0 && length < 64 && blob.length >= 4 + length) type = blob.subarray(4, 4 + length).toString("latin1");
  }
  return `${type} ${blob.toString("base64")}`;
}

/** True when two OpenSSH-format keys are the same key (comments ignored). */
export function sameHostKey(a: string, b: string): boolean {
  const [typeA, dataA] = a.trim().split(/\s+/);
  const [typeB, dataB] = b.trim().split(/\s+/);
  return typeA === typeB && dataA === dataB && dataA !== undefined;
}

/** A short form for messages: the type and the key's last 12 base64 characters. */
export function abbreviateHostKey(key: string): string {
  const [type, data = ""] = key.trim().split(/\s+/);
  return `${type} …${data.slice(-12)}`;
}
