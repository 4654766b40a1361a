import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { HttpError } from "../http/http-error.js";

/**
 * The web dashboard (packages/dashboard, built by Vite) served at `/`: index.html at `/`, its
 * hashed files under `/assets/`. Not part of the API, so left out of the OpenAPI document.
 * The dashboard talks to this same origin only and never runs inline code, hence the strict
 * Content-Security-Policy.
 */

export interface DashboardRouteOptions {
  /** The built dashboard folder (index.html, assets/), or null when there is none. @default dashboardRoot() */
  root?: string | null;
}

/**
 * No inline script or style, no other origin, no framing. uPlot sets element styles through the
 * CSSOM (element.style), which style-src does not govern, so 'unsafe-inline' is not needed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Hashed asset names change with their content: a year, immutable (RFC 8246). */
const ASSET_CACHE = "public, max-age=31536000, immutable";
/** index.html names the current assets: always revalidated. */
const PAGE_CACHE = "no-cache";

/** The dashboard package's dist/ when it has been built, else null. */
export function dashboardRoot(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("@mosaicstack/telemetry-dashboard/package.json");
    const dist = join(dirname(pkg), "dist");
    return existsSync(join(dist, "index.html")) ? dist : null;
  } catch {
    // The package is not installed (a server-only deployment): no dashboard.
    return null;
  }
}

function securityHeaders(reply: FastifyReply): void {
  void reply.header("content-security-policy", DASHBOARD_CSP);
  void reply.header("x-content-type-options", "nosniff");
  void reply.header("referrer-policy", "no-referrer");
  void reply.header("cross-origin-opener-policy", "same-origin");
}

export async function dashboardRoutes(app: FastifyInstance, options: DashboardRouteOptions): Promise<void> {
  const root = options.root === undefined ? dashboardRoot() : options.root;
  if (root === null) {
    app.get("/", { schema: { hide: true } }, async () => {
      throw new HttpError("not_found", "the dashboard is not built: run `npm run build` (or `npm start`, which builds it)");
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: join(root, "assets"),
    prefix: "/assets/",
    index: false,
    // One route per built file (globbed at start): a request for anything else is the API's 404.
    wildcard: false,
    // The build writes .br and .gz beside each file (packages/dashboard/scripts/compress.mjs).
    preCompressed: true,
    cacheControl: false,
    etag: true,
    lastModified: false,
    setHeaders: (res) => {
      res.setHeader("cache-control", ASSET_CACHE);
      res.setHeader("x-content-type-options", "nosniff");
    },
  });
  app.get("/", { schema: { hide: true } }, async (_request, reply) => {
    securityHeaders(reply);
    void reply.header("cache-control", PAGE_CACHE);
    return reply.sendFile("index.html", root, { cacheControl: false });
  });
}
