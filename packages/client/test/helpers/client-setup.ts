import { afterEach } from "vitest";
import { TelemetryClient, type TelemetryClientOptions } from "../../src/index.js";
import { API_KEY, INSTANCE_ID, errorSink, fakeTime, fields } from "./fixtures.js";
import { LoopbackServer } from "./loopback-server.js";

/**
 * A client of a fresh loopback server on a fake clock (backoffs move the clock at once), its
 * errors collected, for a test file's in-process cases; each test's server is closed after it.
 * The send at process end is off: it is tested in child processes (test/built/process-end.test.ts).
 */
export function loopbackClients() {
  let current: LoopbackServer | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async function setup(options: Partial<TelemetryClientOptions> = {}) {
    const time = fakeTime();
    const server = await new LoopbackServer(time.now).start();
    current = server;
    const sink = errorSink();
    const client = new TelemetryClient({
      serverUrl: server.url,
      apiKey: API_KEY,
      instanceId: INSTANCE_ID,
      onError: sink.onError,
      hooks: time.hooks,
      sendOnExit: false,
      ...options,
    });
    /** Tracks n events; returns their ids in order. */
    const track = (n: number): string[] =>
      Array.from({ length: n }, () => {
        const event = client.eventBuilder.build(fields());
        client.track(event);
        return event.event_id;
      });
    return { client, sink, time, track, server };
  };
}
