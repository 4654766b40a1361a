import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatUsd } from "../src/format.js";
import { defaultRange, resolveRange, type ResolvedRange } from "../src/range.js";
import { findChromium, launchChromium, type LaunchedBrowser } from "./browser.js";
import { ADMIN_TOKEN, startDashboardServer, type DashboardServer } from "./dashboard-server.js";
import { expectedTotals, seed, type SeededInstance } from "./seed.js";

/**
 * The dashboard end to end: a real server on loopback (SQLite file) seeded through the SDK with
 * two instances, the built dashboard it serves, and Debian's Chromium signing in and reading
 * each view. One browser for the file; each sign-in in a context of its own (its own tab storage).
 * Screenshots of each view go to packages/dashboard/test-artifacts/ (not committed).
 */

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, "..", "test-artifacts");
const chromiumPath = findChromium();
const built = existsSync(join(here, "..", "dist", "index.html"));
const skipReason =
  chromiumPath === null
    ? "no Chromium found (install Debian's chromium package or set CHROMIUM_PATH)"
    : !built
      ? "the dashboard is not built (npm run build)"
      : null;
if (skipReason !== null) console.warn(`dashboard browser tests skipped: ${skipReason}`);

interface ApiSeries {
  instance_id: string | null;
  totals: { events: number; cost_usd_micros: number; input_tokens: number; output_tokens: number; success_rate: number | null; estimates: { without_estimate: number } };
}

describe.skipIf(skipReason !== null)(`the dashboard in Chromium${skipReason === null ? "" : ` (skipped: ${skipReason})`}`, () => {
  let server: DashboardServer;
  let launched: LaunchedBrowser;
  let alpha: SeededInstance;
  let beta: SeededInstance;
  let range: ResolvedRange;
  const contexts: BrowserContext[] = [];
  /** Uncaught page errors and Content-Security-Policy refusals: each test ends with none. */
  let pageProblems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startDashboardServer();
    ({ alpha, beta } = await seed(server.url));
    launched = await launchChromium(chromiumPath as string);
    // The range the dashboard opens with (the last 30 UTC days), to ask the API the same question.
    const resolved = resolveRange(defaultRange());
    if (typeof resolved === "string") throw new Error(resolved);
    range = resolved;
  }, 60_000);
  afterEach(() => {
    const problems = pageProblems;
    pageProblems = [];
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await launched?.close();
    await server?.close();
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await launched.browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageProblems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) pageProblems.push(`CSP: ${message.text()}`);
    });
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.getByLabel("API key or admin token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /** Until every read of the view has answered and every chart has drawn (uPlot draws on the next frame). */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => {
      if (document.querySelector("main .view") === null || document.querySelector('[aria-busy="true"]') !== null) return false;
      return [...document.querySelectorAll("figure.chart")].every((chart) => chart.querySelector("canvas, svg, .empty") !== null);
    });
  }

  async function open(page: Page, view: string): Promise<void> {
    await page.click(`nav a[href="#/${view}"]`);
    // The hash change renders the view after the click returns: until the nav marks it current,
    // the previous view (settled already) is still on the page.
    await page.waitForSelector(`nav a[href="#/${view}"][aria-current="page"]`);
    await settled(page);
  }

  async function valueOf(page: Page, testId: string): Promise<number> {
    return Number(await page.getAttribute(`[data-testid="${testId}"]`, "data-value"));
  }

  /** A chart with data: its figure counts non-zero points and holds a drawn canvas or svg. */
  async function expectChart(page: Page, testId: string): Promise<void> {
    const chart = page.locator(`[data-testid="${testId}"]`);
    expect(Number(await chart.getAttribute("data-points")), testId).toBeGreaterThan(0);
    expect(await chart.locator("canvas, svg").count(), testId).toBeGreaterThan(0);
  }

  async function apiSeries(token: string, groupBy?: string, over: ResolvedRange = range): Promise<ApiSeries> {
    const query = new URLSearchParams({ from: over.from, to: over.to, bucket: over.bucket, ...(groupBy ? { group_by: groupBy } : {}) });
    const response = await fetch(`${server.url}/v1/usage/timeseries?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as ApiSeries;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it("refuses a wrong API key and a wrong admin token with a clear message", async () => {
    const page = await newPage();
    await signIn(page, `msk_${"0".repeat(40)}`);
    const error = page.getByTestId("sign-in-error");
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toContain("This API key was refused");
    await signIn(page, "not-the-admin-token");
    await expect.poll(() => error.textContent()).toContain("This admin token was refused");
    await shot(page, "sign-in-refused");
    expect(await page.locator("nav").count()).toBe(0);
  });

  it("cost and tokens: totals equal the API's and the seeded events', the chart has bars", async () => {
    const page = await newPage();
    await signIn(page, alpha.apiKey);
    await settled(page);
    const api = await apiSeries(alpha.apiKey);
    const seeded = expectedTotals(alpha.events);
    expect(api.totals.events).toBe(seeded.events);
    expect(await valueOf(page, "total-events")).toBe(seeded.events);
    expect(await valueOf(page, "total-cost")).toBe(seeded.cost);
    expect(await valueOf(page, "total-cost")).toBe(api.totals.cost_usd_micros);
    expect(await valueOf(page, "total-input")).toBe(seeded.input);
    expect(await valueOf(page, "total-output")).toBe(seeded.output);
    expect(await page.getByTestId("total-cost").locator(".figure-value").textContent()).toBe(formatUsd(seeded.cost));
    await expectChart(page, "usage-chart");
    await shot(page, "usage");

    // Another split and measure: the chart is drawn again, the totals stay.
    await page.getByLabel("Split by").selectOption("outcome");
    await page.getByLabel("Measure").selectOption("output");
    await settled(page);
    await expectChart(page, "usage-chart");
    expect(await valueOf(page, "total-output")).toBe(seeded.output);

    // The last 7 days by the hour: the chart's buckets change, the totals are the API's for that range.
    await page.getByRole("radio", { name: "7 days" }).check();
    await page.getByLabel(/Hourly/).check();
    await settled(page);
    const week = resolveRange({ ...defaultRange(), preset: "7", hourly: true });
    if (typeof week === "string") throw new Error(week);
    expect(week.bucket).toBe("hour");
    const weekApi = await apiSeries(alpha.apiKey, undefined, week);
    expect(weekApi.totals.events).toBeGreaterThan(0);
    expect(weekApi.totals.events).toBeLessThan(seeded.events);
    expect(await valueOf(page, "total-events")).toBe(weekApi.totals.events);
    expect(await valueOf(page, "total-output")).toBe(weekApi.totals.output_tokens);
    expect(await page.getByTestId("usage-chart").locator("figcaption").textContent()).toContain("per hour");
    await expectChart(page, "usage-chart");
    await page.getByRole("radio", { name: "30 days" }).check();
    await page.getByLabel(/Hourly/).uncheck();
    await settled(page);

    await open(page, "estimates");
    expect(await valueOf(page, "without-estimate")).toBe(seeded.withoutEstimate);
    expect(await valueOf(page, "estimated-events")).toBe(seeded.events - seeded.withoutEstimate);
    await expectChart(page, "factor-chart");
    await expectChart(page, "ratio-histogram");
    expect(await page.getByTestId("factor-table").locator("tbody tr").count()).toBeGreaterThan(1);
    await shot(page, "estimates");

    await open(page, "outcomes");
    expect(await valueOf(page, "success-rate")).toBeCloseTo(seeded.successes / seeded.events, 12);
    await expectChart(page, "cost-per-success-chart");
    await expectChart(page, "success-chart");
    await shot(page, "outcomes");

    await open(page, "top");
    const rows = page.getByTestId("top-table").locator("tbody tr");
    expect(await rows.count()).toBe(25);
    const costliest = Math.max(...alpha.events.map((e) => e.actual_cost_usd_micros));
    expect(await rows.first().locator("td").nth(1).textContent()).toBe(formatUsd(costliest));
    await shot(page, "top");

    await open(page, "predict");
    await page.getByLabel("Provider").selectOption("anthropic");
    await page.getByLabel("Model").fill("claude-sonnet-4-5-20250929");
    await page.getByRole("button", { name: "Predict" }).click();
    await page.getByTestId("prediction-facts").waitFor();
    await settled(page);
    await expectChart(page, "prediction-chart");
    expect(await page.getByTestId("prediction-chart").locator("rect").count()).toBe(8);
    expect(await page.getByTestId("prediction-facts").textContent()).toMatch(/Contributors\s*2 instances/);
    await shot(page, "prediction");
  });

  it("an API key sees its own instance only", async () => {
    const page = await newPage();
    await signIn(page, beta.apiKey);
    await settled(page);
    const seeded = expectedTotals(beta.events);
    const api = await apiSeries(beta.apiKey);
    expect(api.instance_id).toBe(beta.instanceId);
    expect(await valueOf(page, "total-events")).toBe(seeded.events);
    expect(await valueOf(page, "total-cost")).toBe(seeded.cost);
    expect(await page.getByTestId("who").textContent()).toContain(beta.instanceId);
    // Nothing of alpha's: no operator view, and its costliest tasks are not beta's.
    expect(await page.locator('nav a[href="#/operator"]').count()).toBe(0);
    await open(page, "top");
    const shown = await page.getByTestId("top-table").locator("tbody tr td:nth-child(2)").allTextContents();
    const betaCosts = new Set(beta.events.map((e) => formatUsd(e.actual_cost_usd_micros)));
    expect(shown.length).toBeGreaterThan(0);
    for (const cost of shown) expect(betaCosts.has(cost), cost).toBe(true);
  });

  it("the operator view lists the instances and revokes a key; the admin's usage covers both", async () => {
    const page = await newPage();
    await signIn(page, ADMIN_TOKEN);
    await settled(page);
    const both = expectedTotals([...alpha.events, ...beta.events]);
    expect(await valueOf(page, "total-events")).toBe(both.events);
    expect(await valueOf(page, "total-cost")).toBe(both.cost);
    await page.getByLabel("Instance").selectOption(alpha.instanceId);
    await settled(page);
    expect(await valueOf(page, "total-events")).toBe(alpha.events.length);

    await open(page, "operator");
    const instances = page.getByTestId("instance");
    expect(await instances.count()).toBe(2);
    expect((await instances.locator("h4").allTextContents()).sort()).toEqual(["alpha", "beta"]);
    const betaBlock = page.locator(`[data-instance-id="${beta.instanceId}"]`);
    expect(Number(await betaBlock.getByTestId("instance-cost").getAttribute("data-value"))).toBe(expectedTotals(beta.events).cost);
    expect(await page.getByTestId("health").textContent()).toContain("up");
    await shot(page, "operator");

    const revoke = page.getByTestId(`revoke-${beta.apiKeyId}`);
    await revoke.click();
    await expect.poll(() => revoke.textContent()).toContain("Confirm");
    await revoke.click();
    await expect.poll(() => betaBlock.getByTestId("keys-table").textContent()).toContain("revoked");
    const refused = await fetch(`${server.url}/v1/usage/top?from=${range.from}&to=${range.to}`, { headers: { authorization: `Bearer ${beta.apiKey}` } });
    expect(refused.status).toBe(401);

    // A new key for alpha, shown once.
    await page.locator(`[data-instance-id="${alpha.instanceId}"]`).getByRole("button", { name: "Create a key" }).click();
    const issued = page.getByTestId("new-key");
    await issued.waitFor();
    expect(await issued.inputValue()).toMatch(/^msk_/);
    await shot(page, "operator-new-key");
  });

  it("reads on a phone-sized screen", async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signIn(page, alpha.apiKey);
    await settled(page);
    await expectChart(page, "usage-chart");
    // Nothing wider than the screen but the tables' own scrolling regions.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, "usage-phone");
  });
});
