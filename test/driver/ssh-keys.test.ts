// Key generation and host-key formatting, without a server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import ssh2 from "ssh2";
import { abbreviateHostKey, formatHostKey, sameHostKey } from "../../src/ssh/host-key.js";
import { generateJobKeyPair, isUsableKeyPair } from "../../src/ssh/keys.js";
import { killCommand } from "../../src/ssh/remote-shell.js";
import { isRetryable, retryDelayMs } from "../../src/ssh/wait-ready.js";
import { SshConnectError } from "../../src/ssh/connect.js";

describe("job keys", () => {
  it("makes a fresh OpenSSH ed25519 pair per call", () => {
    const a = generateJobKeyPair("gitlab-job-1");
    const b = generateJobKeyPair("gitlab-job 1/x");
    assert.match(a.publicKey, /^ssh-ed25519 AAAA\S+ gitlab-job-1$/);
    assert.match(b.publicKey, /^ssh-ed25519 AAAA\S+ gitlab-job_1_x$/);
    assert.match(a.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.notEqual(a.privateKey, b.privateKey);
    const parsed = ssh2.utils.parseKey(a.privateKey);
    assert.ok(!(parsed instanceof Error));
  });
});

describe("job keys, many at once", () => {
  it("never hands out a pair with a truncated public key (ssh2 drops a leading zero byte about 1 in 256)", () => {
    for (let i = 0; i < 2000; i++) {
      const pair = generateJobKeyPair(`gitlab-job-${i}`);
      assert.ok(isUsableKeyPair(pair), pair.publicKey);
    }
  });
  it("recognises a truncated pair", () => {
    const truncated = {
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH3kA+/uC1340nIqIaeHMvXA0PwZhucSA4m0eKlJuFtY x",
      privateKey: generateJobKeyPair("x").privateKey,
    };
    assert.equal(isUsableKeyPair(truncated), false);
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
