import type { AppDeps } from "../../src/app.js";
import { startTestServer, type TestServer } from "./test-server.js";

/** An app called in-process (inject) with a seeded instance and its log lines: `startTestServer` without a socket. */
export type InProcessApp = TestServer;

/** `startTestServer({ inProcess: true })`, kept under this name for the tests that import it. */
export async function inProcessApp(options: { config?: Partial<AppDeps["config"]>; now?: () => Date; redisHealth?: AppDeps["redisHealth"] } = {}): Promise<InProcessApp> {
  return startTestServer({ ...options, inProcess: true });
}
