import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const CLIENT_DIR = resolve(here, "../..");
export const REPO_ROOT = resolve(CLIENT_DIR, "../..");
export const DIST_ENTRY = resolve(CLIENT_DIR, "dist/index.js");
/** The contract's guide, beside the repository; MOSAIC_INTEGRATION_GUIDE points elsewhere (e.g. to check the skip path). */
export const GUIDE_PATH = resolve(process.env["MOSAIC_INTEGRATION_GUIDE"] ?? resolve(REPO_ROOT, "../shared/contract/integration-guide.md"));

/** Builds the protocol and the client when the dist is missing, so `npx vitest run packages/client` works alone. */
export function ensureBuilt(): void {
  if (existsSync(DIST_ENTRY) && existsSync(resolve(CLIENT_DIR, "dist/index.d.ts"))) return;
  execSync("npm run build -w packages/protocol && npm run build -w packages/client", { cwd: REPO_ROOT, stdio: "pipe" });
}
