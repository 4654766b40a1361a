import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core (no browser download: the machine has none to
 * fetch). The flags keep it off the network it cannot reach: without them it retries its
 * background services and stalls in a closed sandbox.
 */

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser to drive: CHROMIUM_PATH when set, else the first that exists; null when none. */
export function findChromium(): string | null {
  const wanted = process.env["CHROMIUM_PATH"];
  if (wanted !== undefined && wanted !== "") return existsSync(wanted) ? wanted : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * One browser with a fresh profile: Playwright gives every launch its own temporary
 * --user-data-dir and removes it on close (it refuses one passed in args).
 */
export async function launchChromium(executablePath: string): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
