import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nestsDeeperThan } from "../../src/http/json-depth.js";
import { ADMIN_TOKEN, injectJson, startTestServer, type TestServer } from "./test-server.js";

/** The nesting depth of a parsed JSON value: arrays and objects count one level each. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Strings full of what could fool a scanner: brackets, quotes and backslashes. */
const trickyString = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "é", "\u0000"), maxLength: 12 });
const tricky = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, trickyString, fc.integer(), fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(trickyString, tie("value"), { maxKeys: 3 })),
})).value;

describe("nestsDeeperThan", () => {
  it("agrees with the depth of what JSON.parse builds, on random JSON with tricky strings and spacing", () => {
    fc.assert(
      fc.property(tricky, fc.nat({ max: 6 }), fc.boolean(), (value, limit, spaced) => {
        const text = JSON.stringify(value, null, spaced ? 1 : undefined);
        expect(nestsDeeperThan(text, limit)).toBe(depthOf(JSON.parse(text)) > limit);
      }),
      { numRuns: 2_000 },
    );
  });

  it("finds 500 000 levels in a millisecond or so, and accepts flat text of any length", () => {
    const deep = `${"[".repeat(500_000)}${"]".repeat(500_000)}`;
    const startedAt = performance.now();
    expect(nestsDeeperThan(deep, 32)).toBe(true);
    expect(performance.now() - startedAt).toBeLessThan(100);
    expect(nestsDeeperThan(JSON.stringify({ a: "x".repeat(1_000_000), b: [[1]] }), 32)).toBe(false);
    expect(nestsDeeperThan(`${"[".repeat(32)}${"]".repeat(32)}`, 32)).toBe(false);
    expect(nestsDeeperThan(`${"[".repeat(33)}${"]".repeat(33)}`, 32)).toBe(true);
  });
});

describe("the nesting bound on every JSON route", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => server?.close());

  it.each([
    ["/v1/predictions/batch", "key"],
    ["/v1/admin/instances", "admin"],
  ])("refuses a body nested 500 000 levels deep on %s with a 400 before parsing it", async (url, who) => {
    const deep = `{"queries":[{"task_type":"testing","model":"m","provider":"openai","complexity":"low","x":${"[".repeat(500_000)}${"]".repeat(500_000)}}],"name":"n"}`;
    const answer = await injectJson(server.app, url, who === "key" ? server.apiKey : ADMIN_TOKEN, deep);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: "invalid_request", message: "request body nests arrays and objects deeper than 32 levels" } });
  });
});
