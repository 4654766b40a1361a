import { describe, expect, it } from "vitest";
import { apiKeyChecksum, displayApiKey, formatApiKey, isWellFormedApiKey } from "../src/index.js";

const random = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z";

describe("API key format", () => {
  it("builds msk_ + random + _ + 6-character checksum", () => {
    const key = formatApiKey(random);
    expect(key).toMatch(/^msk_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}$/);
    expect(key.endsWith(`_${apiKeyChecksum(random)}`)).toBe(true);
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it("tells a typo from a key without a lookup", () => {
    const key = formatApiKey(random);
    const typo = key.slice(0, 10) + (key[10] === "a" ? "b" : "a") + key.slice(11);
    expect(isWellFormedApiKey(typo)).toBe(false);
    expect(isWellFormedApiKey("msk_short_abcdef")).toBe(false);
    expect(isWellFormedApiKey(undefined)).toBe(false);
  });

  it("displays only the prefix and the last four characters", () => {
    const key = formatApiKey(random);
    expect(displayApiKey(key)).toBe(`msk_Ab3d…${key.slice(-4)}`);
  });
});
