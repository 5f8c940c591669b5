// Key generation and host-key formatting, without a server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import ssh2 from "ssh2";
import { abbreviateHostKey, formatHostKey, sameHostKey } from "../../src/ssh/host-key.js";
import { generateJobKeyPair } from "../../src/ssh/keys.js";
import { killCommand } from "../../src/ssh/remote-shell.js";
import { isRetryable, retryDelayMs } from "../../src/ssh/wait-ready.js";
import { SshConnectError } from "../../src/ssh/connect.js";

describe("job keys", () => {
  it("makes a fresh OpenSSH ed25519 pair per call, comment sanitised", () => {
    const a = generateJobKeyPair("gitlab-job-1");
    const b = generateJobKeyPair("gitlab-job 1/x");
    assert.match(a.publicKey, /^ssh-ed25519 AAAA\S+ gitlab-job-1$/);
    assert.match(b.publicKey, /^ssh-ed25519 AAAA\S+ gitlab-job_1_x$/);
    assert.match(a.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
    assert.notEqual(a.privateKey, b.privateKey);
    assert.notEqual(a.publicKey.split(" ")[1], b.publicKey.split(" ")[1]);
  });

  it("writes a private key OpenSSH's ssh-keygen reads, deriving the same public key", () => {
    const pair = generateJobKeyPair("gitlab-job-7");
    const dir = mkdtempSync(join(tmpdir(), "fargate-keys-"));
    try {
      const file = join(dir, "id_ed25519");
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      assert.equal(execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim(), pair.publicKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives ssh2 pairs whose halves match: a signature by the private key verifies with the public one, every time", () => {
    for (let i = 0; i < 500; i++) {
      const pair = generateJobKeyPair(`gitlab-job-${i}`);
      const privateKey = ssh2.utils.parseKey(pair.privateKey);
      const publicKey = ssh2.utils.parseKey(pair.publicKey);
      assert.ok(!(privateKey instanceof Error) && !Array.isArray(privateKey), pair.publicKey);
      assert.ok(!(publicKey instanceof Error) && !Array.isArray(publicKey), pair.publicKey);
      assert.equal(publicKey.getPublicSSH().length, 51); // string "ssh-ed25519" + 32-byte key
      assert.deepEqual(privateKey.getPublicSSH(), publicKey.getPublicSSH());
      const data = Buffer.from(`job ${i}`);
      assert.equal(publicKey.verify(data, privateKey.sign(data)), true);
    }
  });
});

describe("host keys", () => {
  it("formats a raw blob as OpenSSH does and compares without comments", () => {
    const pair = generateJobKeyPair("c");
    const parsed = ssh2.utils.parseKey(pair.publicKey);
    assert.ok(!(parsed instanceof Error) && !Array.isArray(parsed));
    const formatted = formatHostKey(parsed.getPublicSSH());
    assert.equal(formatted, pair.publicKey.split(" ").slice(0, 2).join(" "));
    assert.equal(sameHostKey(formatted, pair.publicKey), true);
    assert.equal(sameHostKey(formatted, generateJobKeyPair("c").publicKey), false);
    assert.equal(sameHostKey("ssh-ed25519", "ssh-ed25519"), false);
    assert.match(abbreviateHostKey(formatted), /^ssh-ed25519 …\S{12}$/);
  });
});

describe("readiness and cancellation helpers", () => {
  it("retries refused and reset connections but not host-key mismatches, and auth only a few times", () => {
    assert.equal(isRetryable(new SshConnectError("refused", "x"), 0), true);
    assert.equal(isRetryable(new SshConnectError("timeout", "x"), 0), true);
    assert.equal(isRetryable(new SshConnectError("host-key", "x"), 0), false);
    assert.equal(isRetryable(new SshConnectError("auth", "x"), 1), true);
    assert.equal(isRetryable(new SshConnectError("auth", "x"), 3), false);
    assert.equal(retryDelayMs(1), 50);
    assert.equal(retryDelayMs(20), 1000);
  });
  it("kills the recorded process group, falling back to the pid", () => {
    const command = killCommand("/tmp/.p", "TERM");
    assert.match(command, /kill -TERM -- "-\$pid"/);
    assert.match(command, /\|\| kill -TERM "\$pid"/);
  });
});
