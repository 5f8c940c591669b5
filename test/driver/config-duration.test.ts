// Go-style durations for the timeout keys, and the "did you mean" distance.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../../src/config/duration.js";
import { closestName } from "../../src/config/suggest.js";

describe("config: durations", () => {
  it("parses Go duration strings", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("10m"), 600_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1.5h"), 5_400_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("2m3s"), 123_000);
    assert.equal(parseDuration("0"), 0);
  });

  it("rejects anything else", () => {
    for (const bad of ["", "10", "10 m", "m", "-5s", "1d", "10mins", ".s", "5sx"]) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });

  it("formats milliseconds back", () => {
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(90_000), "1m30s");
    assert.equal(formatDuration(250), "250ms");
  });
});

describe("config: suggestions", () => {
  it("suggests the closest key, case-insensitively, and nothing when far off", () => {
    const keys = ["Subnet", "Subnets", "SecurityGroup", "Cluster", "Region"];
    assert.equal(closestName("Subnett", keys), "Subnet");
    assert.equal(closestName("secuirtygroup", keys), "SecurityGroup");
    assert.equal(closestName("Clsuter", keys), "Cluster");
    assert.equal(closestName("Colour", keys), undefined);
  });
});
