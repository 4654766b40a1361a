import { describe, expect, it } from "vitest";
import { TelemetryClient, type TelemetryClientOptions } from "../../src/index.js";
import { normalizeOptions } from "../../src/options.js";
import { API_KEY, INSTANCE_ID, errorSink, fields } from "../helpers/fixtures.js";

describe("options", () => {
  it("the constructor never throws for undefined env values and reports ONE config error", () => {
    const sink = errorSink();
    const env: Record<string, string | undefined> = {};
    const client = new TelemetryClient({
      serverUrl: env["TELEMETRY_API_URL"]!,
      apiKey: env["TELEMETRY_API_KEY"]!,
      instanceId: env["TELEMETRY_INSTANCE_ID"]!,
      onError: sink.onError,
    });
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]?.code).toBe("invalid_config");
    expect(sink.errors[0]?.message).toMatch(/instanceId is missing.*serverUrl is missing.*apiKey is missing/);
    client.track(client.eventBuilder.build(fields()));
    client.start();
    expect(sink.errors).toHaveLength(1);
    expect(client.getStats()).toMatchObject({ queued: 0, dropped: 1 });
  });

  it("never throws even without an options object or with garbage values", () => {
    expect(() => new TelemetryClient(undefined as unknown as TelemetryClientOptions)).not.toThrow();
    expect(
      () =>
        new TelemetryClient({
          serverUrl: 42,
          apiKey: {},
          instanceId: null,
          batchSize: "ten",
          onError: "nope",
        } as unknown as TelemetryClientOptions),
    ).not.toThrow();
  });

  it("a throwing onError cannot make the constructor throw", () => {
    const onError = (): void => {
      throw new Error("handler bug");
    };
    expect(() => new TelemetryClient({ serverUrl: "", apiKey: "", instanceId: "", batchSize: 1000, onError })).not.toThrow();
  });

  it("names an unsendable key without quoting it (whitespace, control characters, beyond Latin-1)", () => {
    for (const secret of ["msk_thisIsASecret ButSpaced", "msk_thisIsASecret\nNewline", "msk_thisIsASecret\u0000", "msk_thisIsASecret\u2603"]) {
      const sink = errorSink();
      new TelemetryClient({ serverUrl: "https://tel.example", apiKey: secret, instanceId: INSTANCE_ID, onError: sink.onError });
      expect(sink.errors).toHaveLength(1);
      expect(sink.errors[0]?.message).toContain("apiKey must not contain whitespace, control characters");
      expect(sink.errors[0]?.message).not.toContain(secret.slice(4));
    }
  });

  it("takes a key of any other shape as given: its format is the server's to judge", () => {
    for (const key of ["msk_thisIsASecretButNotOurChecksum", "sk-live-0123456789", "x"]) {
      const { options, problems } = normalizeOptions({ serverUrl: "https://tel.example", apiKey: key, instanceId: INSTANCE_ID });
      expect(problems).toEqual([]);
      expect(options.canSend).toBe(true);
      expect(options.apiKey).toBe(key);
    }
  });

  it("reports nothing for a disabled client, whatever its config", () => {
    const sink = errorSink();
    new TelemetryClient({ serverUrl: "", apiKey: "", instanceId: "", enabled: false, onError: sink.onError });
    expect(sink.errors).toEqual([]);
  });

  it("clamps batchSize to 1..100 with one warning", () => {
    const { options, problems } = normalizeOptions({ serverUrl: "https://x.example", apiKey: API_KEY, instanceId: INSTANCE_ID, batchSize: 500 });
    expect(options.batchSize).toBe(100);
    expect(problems.map((p) => p.code)).toEqual(["option_clamped"]);
    expect(normalizeOptions({ serverUrl: "https://x.example", apiKey: API_KEY, instanceId: INSTANCE_ID, batchSize: 0 }).options.batchSize).toBe(1);
  });

  it("applies the documented defaults, keeps a path prefix, freezes the result and leaves the input alone", () => {
    const input = Object.freeze({ serverUrl: "https://x.example/telemetry", apiKey: API_KEY, instanceId: INSTANCE_ID });
    const { options, problems } = normalizeOptions(input);
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      enabled: true,
      dryRun: false,
      submitIntervalMs: 300_000,
      batchSize: 100,
      maxRetries: 3,
      maxQueueSize: 10_000,
      maxQueueBytes: 10 * 1024 * 1024,
      requestTimeoutMs: 10_000,
      predictionCacheTtlMs: 6 * 3600_000,
      stopTimeoutMs: 5_000,
      eventsUrl: "https://x.example/telemetry/v1/events/batch",
      predictionsUrl: "https://x.example/telemetry/v1/predictions/batch",
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it("in dryRun needs only the instance id", () => {
    const sink = errorSink();
    const client = new TelemetryClient({ serverUrl: undefined!, apiKey: undefined!, instanceId: INSTANCE_ID, dryRun: true, onError: sink.onError });
    expect(sink.errors).toEqual([]);
    client.track(client.eventBuilder.build(fields()));
    expect(client.getStats().queued).toBe(1);
  });

  it("eventBuilder adds id, timestamp, instance and schema version", () => {
    const now = Date.parse("2026-03-01T12:00:00.000Z");
    const client = new TelemetryClient({ serverUrl: "https://x.example", apiKey: API_KEY, instanceId: INSTANCE_ID, hooks: { now: () => now } });
    const a = client.eventBuilder.build(fields());
    const b = client.eventBuilder.build(fields());
    expect(a).toMatchObject({ instance_id: INSTANCE_ID, schema_version: "1.0", timestamp: "2026-03-01T12:00:00.000Z", model: "claude-sonnet-4-5-20250929" });
    expect(a.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.event_id).not.toBe(b.event_id);
  });
});
