import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { gateFields, gatesOfCommand } from "../src/capture/quality-gates.js";
import { uuidV5 } from "../src/capture/uuid-v5.js";
import { PRICE_TABLE_VERSION, PriceTable, providerOfModel } from "../src/pricing/price-table.js";
// @ts-expect-error: a plain .mjs script without declarations
import { buildSnapshot, renderSnapshot } from "../scripts/snapshot-prices.mjs";

describe("quality gate table", () => {
  it.each([
    ["npm test", ["test"]],
    ["pnpm run lint", ["lint"]],
    ["yarn build && yarn test", ["build", "test"]],
    ["npx tsc --noEmit", ["typecheck"]],
    ["npm run typecheck", ["typecheck"]],
    ["CI=1 npx vitest run --coverage", ["coverage"]],
    ["cd pkg && npx vitest run", ["test"]],
    ["uv run pytest -q", ["test"]],
    ["python -m pytest --cov=src", ["coverage"]],
    ["ruff check . && mypy src", ["lint", "typecheck"]],
    ["cargo clippy -- -D warnings; cargo test", ["lint", "test"]],
    ["go vet ./... && go test ./...", ["typecheck", "test"]],
    ["make test", ["test"]],
    ["make", ["build"]],
    ["npm audit --omit=dev", ["security"]],
    ["eslint . | tee lint.log", ["lint"]],
    ["git status", []],
    ["npm install", []],
    ["cat test.txt", []],
  ])("%s -> %j", (command, gates) => {
    expect(gatesOfCommand(command)).toEqual(gates);
  });

  it("a gate failed when its LAST run failed; passed needs a gate run and none failed", () => {
    expect(gateFields([{ gate: "test", passed: false }, { gate: "test", passed: true }])).toEqual({ run: ["test"], failed: [], passed: true });
    expect(gateFields([{ gate: "test", passed: true }, { gate: "lint", passed: false }])).toEqual({ run: ["test", "lint"], failed: ["lint"], passed: false });
    expect(gateFields([])).toEqual({ run: [], failed: [], passed: false });
  });
});

describe("event ids", () => {
  it("are RFC 9562 version 5 UUIDs (the RFC's example: www.example.com in the DNS namespace)", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });
});

describe("price table", () => {
  const table = new PriceTable();
  it("prices each token kind, with the tier of the request's whole input", () => {
    const sonnet = table.lookup("claude-sonnet-4-5-20250929");
    expect(sonnet).toMatchObject({ id: "claude-sonnet-4-5", provider: "anthropic", contextWindow: 200_000 });
    const at = Date.parse("2026-11-30T00:00:00Z");
    // A request of 1 M input tokens is past the 200 k tier: $6 per million, not $3.
    expect(sonnet?.costMicros({ input: 1_000_000, cacheWrite: 0, cacheRead: 0, output: 0 }, at)).toBeCloseTo(6_000_000, 3);
    expect(sonnet?.costMicros({ input: 1000, cacheWrite: 1000, cacheRead: 1000, output: 1000 }, at)).toBeCloseTo(3000 + 3750 + 300 + 15_000, 6);
  });
  it("knows no unknown model (priced 0 by the caller) and names providers by family", () => {
    expect(table.lookup("my-local-model")).toBeNull();
    expect(providerOfModel("claude-opus-4-5")).toBe("anthropic");
    expect(providerOfModel("gpt-5-codex")).toBe("openai");
    expect(providerOfModel("o3-mini")).toBe("openai");
    expect(providerOfModel("gemini-2.5-pro")).toBe("google");
    expect(providerOfModel("grok-4")).toBe("xai");
    expect(providerOfModel("qwen3-coder")).toBe("unknown");
  });
  it("the committed snapshot is what the installed @pydantic/genai-prices gives (run `npm run prices -w packages/cli` after an upgrade)", () => {
    const committed = readFileSync(fileURLToPath(new URL("../src/pricing/price-snapshot.ts", import.meta.url)), "utf8");
    expect(committed).toBe(renderSnapshot(buildSnapshot()));
    expect(PRICE_TABLE_VERSION).toMatch(/^@pydantic\/genai-prices@\d+\.\d+\.\d+$/);
  });
});
