/**
 * Loads the BUILT SDK (packages/client/dist/index.js) and the protocol's key formatter, the way a
 * user gets them: compiled JavaScript, no TypeScript loader in the way. Returns null with a
 * reason when the build is missing, so a bench can still measure the floor and the peers.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const CLIENT_DIST = new URL("../../packages/client/dist/index.js", import.meta.url);
const PROTOCOL_DIST = new URL("../../packages/protocol/dist/index.js", import.meta.url);

export const BUILD_HINT = "npm run build -w packages/protocol && npm run build -w packages/client";

/** @returns {Promise<{sdk: any, apiKey: string} | {sdk: null, reason: string}>} */
export async function loadSdk() {
  for (const url of [PROTOCOL_DIST, CLIENT_DIST]) {
    if (!existsSync(fileURLToPath(url))) {
      return { sdk: null, reason: `${fileURLToPath(url)} is missing (build it: ${BUILD_HINT})` };
    }
  }
  const protocol = await import(PROTOCOL_DIST.href);
  const sdk = await import(CLIENT_DIST.href);
  if (typeof sdk.TelemetryClient !== "function") {
    return { sdk: null, reason: "packages/client/dist/index.js does not export TelemetryClient" };
  }
  // A well-formed key (checksum included) so the client accepts it; it is never sent anywhere
  // but the loopback sink, and never printed.
  const apiKey = protocol.formatApiKey(protocol.BASE62_ALPHABET.slice(10, 42));
  return { sdk, apiKey };
}
