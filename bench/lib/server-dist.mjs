/** Loads the built server and protocol packages, or explains how to build them. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SERVER_DIST = fileURLToPath(new URL("../../packages/server/dist/", import.meta.url));
const PROTOCOL_DIST = fileURLToPath(new URL("../../packages/protocol/dist/", import.meta.url));

export async function loadServer() {
  if (!existsSync(`${SERVER_DIST}index.js`)) {
    console.error("packages/server/dist is missing: run `npm run build` first");
    process.exit(2);
  }
  return import(`${SERVER_DIST}index.js`);
}

/** Parts the bench-only route needs that the package does not export by name. */
export async function loadServerInternals() {
  const [auth, cache] = await Promise.all([import(`${SERVER_DIST}auth/api-key-auth.js`), import(`${SERVER_DIST}auth/api-key-cache.js`)]);
  return { apiKeyAuthHook: auth.apiKeyAuthHook, ApiKeyCache: cache.ApiKeyCache };
}

export async function loadProtocol() {
  return import(`${PROTOCOL_DIST}index.js`);
}
