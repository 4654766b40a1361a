import type { FastifyInstance } from "fastify";
import { UUID_PATTERN } from "@mosaicstack/telemetry-protocol";
import { HttpError } from "../http/http-error.js";
import type { Storage } from "../storage/storage.js";
import { ROLLUP_DIMENSIONS } from "../storage/usage-rollup.js";
import type { UsageSeriesResponse, UsageTopResponse } from "@mosaicstack/telemetry-protocol";
import { MAX_SERIES_GROUPS, capSeriesGroups } from "../usage/series-groups.js";
import { RATIO_BUCKET_BOUNDS, seriesReport, topEventOf } from "../usage/usage-report.js";
import { ADMIN_SECURITY, API_KEY_SECURITY, RATE_LIMIT_HEADERS, errorResponses, response } from "../http/openapi-schemas.js";
import { DEFAULT_TOP_LIMIT, MAX_HOUR_BUCKET_DAYS, MAX_RANGE_DAYS, MAX_TOP_LIMIT, parseSeriesParams, parseTopParams } from "./usage-params.js";

/**
 * GET /v1/usage/timeseries and /v1/usage/top for an API key's own instance, and the same under
 * /v1/admin/usage/ for one instance (`instance_id`) or all. The series come from the usage
 * rollups, the costliest events from the events' (instance, time, cost) index.
 */

export interface UsageRouteOptions {
  storage: Pick<Storage, "readUsageSeries" | "readTopEvents">;
  /** @fastify/rate-limit route config, or false for none. */
  rateLimit: Record<string, unknown> | false;
}

export interface AdminUsageRouteOptions {
  storage: Pick<Storage, "readUsageSeries" | "readTopEvents" | "getInstance">;
}

const uuid = new RegExp(UUID_PATTERN);
const nullableNumber = { type: ["number", "null"] };

const RANGE_PROPERTIES = {
  from: { type: "string", description: "Start, included: a whole UTC hour in ISO 8601, e.g. 2026-12-01T00:00:00Z." },
  to: {
    type: "string",
    description: `End, excluded: a whole UTC hour after from, at most ${MAX_RANGE_DAYS} days later (${MAX_HOUR_BUCKET_DAYS} with bucket=hour).`,
  },
};
const SERIES_QUERY_PROPERTIES = {
  ...RANGE_PROPERTIES,
  bucket: { type: "string", description: "hour or day (UTC days); default day." },
  group_by: { type: "string", description: `One series per value of: ${ROLLUP_DIMENSIONS.join(", ")}; default one series.` },
};
const TOP_QUERY_PROPERTIES = {
  ...RANGE_PROPERTIES,
  limit: { type: "string", description: `Events to return, 1 to ${MAX_TOP_LIMIT}; default ${DEFAULT_TOP_LIMIT}.` },
};
const INSTANCE_QUERY_PROPERTY = { instance_id: { type: "string", description: "One instance's id; all instances when absent." } };

const FIGURES_PROPERTIES = {
  events: { type: "integer" },
  input_tokens: { type: "number", description: "Actual input tokens." },
  output_tokens: { type: "number", description: "Actual output tokens." },
  cost_usd_micros: { type: "number", description: "Actual cost (1 USD = 1,000,000)." },
  duration_ms: { type: "number" },
  gate_passed: { type: "integer" },
  successes: { type: "integer" },
  success_rate: nullableNumber,
  gate_pass_rate: nullableNumber,
  cost_per_success_usd_micros: { ...nullableNumber, description: "All the cost ÷ successful tasks." },
  estimates: {
    type: "object",
    description: "Events with an estimate (estimated tokens > 0) only; the others are counted in without_estimate.",
    properties: {
      events: { type: "integer" },
      without_estimate: { type: "integer" },
      estimated_input_tokens: { type: "number" },
      estimated_output_tokens: { type: "number" },
      estimated_cost_usd_micros: { type: "number" },
      actual_input_tokens: { type: "number" },
      actual_output_tokens: { type: "number" },
      actual_cost_usd_micros: { type: "number" },
      correction_factors: {
        type: "object",
        properties: { input: nullableNumber, output: nullableNumber, cost: nullableNumber },
        required: ["input", "output", "cost"],
      },
      ratio_histogram: { type: "array", items: { type: "integer" }, description: "Events per bucket of ratio_buckets." },
    },
    required: [
      "events",
      "without_estimate",
      "estimated_input_tokens",
      "estimated_output_tokens",
      "estimated_cost_usd_micros",
      "actual_input_tokens",
      "actual_output_tokens",
      "actual_cost_usd_micros",
      "correction_factors",
      "ratio_histogram",
    ],
  },
};
const FIGURES_REQUIRED = Object.keys(FIGURES_PROPERTIES);

const SERIES_RESPONSE_SCHEMA = {
  type: "object",
  properties: {
    instance_id: { type: ["string", "null"] },
    from: { type: "string", format: "date-time" },
    to: { type: "string", format: "date-time" },
    bucket: { type: "string", enum: ["hour", "day"] },
    group_by: { type: ["string", "null"] },
    other_groups: {
      type: "integer",
      description: `Split series: how many groups past the ${MAX_SERIES_GROUPS} with the most events were summed into the points whose group is null. 0 otherwise.`,
    },
    ratio_buckets: {
      type: "array",
      description: "The correction-factor histogram's buckets, [from, to) of actual ÷ estimated tokens; null is unbounded.",
      items: { type: "object", properties: { from: nullableNumber, to: nullableNumber }, required: ["from", "to"] },
    },
    series: {
      type: "array",
      description: "Buckets with events only, by start then group.",
      items: {
        type: "object",
        properties: {
          start: { type: "string", format: "date-time" },
          group: { type: ["string", "null"], description: "The group_by dimension's value; null when not split, or for the other groups (other_groups)." },
          ...FIGURES_PROPERTIES,
        },
        required: ["start", "group", ...FIGURES_REQUIRED],
      },
    },
    totals: { type: "object", properties: FIGURES_PROPERTIES, required: FIGURES_REQUIRED },
  },
  required: ["instance_id", "from", "to", "bucket", "group_by", "other_groups", "ratio_buckets", "series", "totals"],
};

const TOP_EVENT_SCHEMA = {
  type: "object",
  properties: {
    instance_id: { type: "string" },
    event_id: { type: "string" },
    timestamp: { type: "string" },
    provider: { type: "string" },
    model: { type: "string" },
    task_type: { type: "string" },
    complexity: { type: "string" },
    harness: { type: "string" },
    outcome: { type: "string" },
    actual_cost_usd_micros: { type: "integer" },
    estimated_cost_usd_micros: { type: "integer" },
    actual_input_tokens: { type: "integer" },
    actual_output_tokens: { type: "integer" },
    estimated_input_tokens: { type: "integer" },
    estimated_output_tokens: { type: "integer" },
    task_duration_ms: { type: "integer" },
    quality_gate_passed: { type: "boolean" },
  },
};
const TOP_RESPONSE_SCHEMA = {
  type: "object",
  properties: {
    instance_id: { type: ["string", "null"] },
    from: { type: "string", format: "date-time" },
    to: { type: "string", format: "date-time" },
    limit: { type: "integer" },
    events: { type: "array", items: { ...TOP_EVENT_SCHEMA, required: Object.keys(TOP_EVENT_SCHEMA.properties) } },
  },
  required: ["instance_id", "from", "to", "limit", "events"],
};

const SERIES_DESCRIPTION =
  "Actual tokens, cost, duration, gate passes, successes and estimate sums per UTC hour or day, optionally split by one " +
  "dimension, with the range's totals; from the hourly rollups kept at ingest, by each event's own timestamp. " +
  "Bad parameters: 400 invalid_request naming the parameter in details.parameter.";
const TOP_DESCRIPTION = "The events of the range with the highest actual cost, costliest first, with their dimensions.";

type SeriesQuery = { from: string; to: string; bucket?: string; group_by?: string; instance_id?: string };
type TopQuery = { from: string; to: string; limit?: string; instance_id?: string };

async function series(storage: UsageRouteOptions["storage"], instanceId: string | null, query: SeriesQuery): Promise<UsageSeriesResponse> {
  const params = parseSeriesParams(query);
  const { rows, otherGroups } = capSeriesGroups(await storage.readUsageSeries({ instanceId, ...params }));
  return {
    instance_id: instanceId,
    from: params.from.toISOString(),
    to: params.to.toISOString(),
    bucket: params.bucket,
    group_by: params.groupBy,
    other_groups: otherGroups,
    ratio_buckets: [...RATIO_BUCKET_BOUNDS],
    ...seriesReport(rows),
  };
}

async function top(storage: UsageRouteOptions["storage"], instanceId: string | null, query: TopQuery): Promise<UsageTopResponse> {
  const params = parseTopParams(query);
  const events = await storage.readTopEvents({ instanceId, ...params });
  return { instance_id: instanceId, from: params.from.toISOString(), to: params.to.toISOString(), limit: params.limit, events: events.map(topEventOf) };
}

/** The instance's own usage; its auth hook (API key) is installed by the caller's scope. */
export async function usageRoutes(app: FastifyInstance, options: UsageRouteOptions): Promise<void> {
  const config: Record<string, unknown> = options.rateLimit === false ? {} : { rateLimit: options.rateLimit };
  const errors = errorResponses([400, 401, 429, 500, 503], RATE_LIMIT_HEADERS);
  app.get(
    "/usage/timeseries",
    {
      config,
      schema: {
        tags: ["usage"],
        summary: "The key's instance: usage over time",
        description: SERIES_DESCRIPTION,
        security: API_KEY_SECURITY,
        querystring: { type: "object", properties: SERIES_QUERY_PROPERTIES, required: ["from", "to"] },
        response: { 200: response("Series and totals.", SERIES_RESPONSE_SCHEMA, RATE_LIMIT_HEADERS), ...errors },
      },
    },
    async (request) => series(options.storage, instanceOfKey(request.apiKey), request.query as SeriesQuery),
  );
  app.get(
    "/usage/top",
    {
      config,
      schema: {
        tags: ["usage"],
        summary: "The key's instance: costliest tasks",
        description: TOP_DESCRIPTION,
        security: API_KEY_SECURITY,
        querystring: { type: "object", properties: TOP_QUERY_PROPERTIES, required: ["from", "to"] },
        response: { 200: response("The costliest events.", TOP_RESPONSE_SCHEMA, RATE_LIMIT_HEADERS), ...errors },
      },
    },
    async (request) => top(options.storage, instanceOfKey(request.apiKey), request.query as TopQuery),
  );
}

/** Any instance's usage, or all instances'; its auth hook (admin token) is installed by the caller's scope. */
export async function adminUsageRoutes(app: FastifyInstance, options: AdminUsageRouteOptions): Promise<void> {
  const errors = errorResponses([400, 401, 404, 429, 500, 503]);
  app.get(
    "/admin/usage/timeseries",
    {
      schema: {
        tags: ["admin"],
        summary: "One instance's or all instances' usage over time",
        description: `${SERIES_DESCRIPTION} An unknown instance_id: 404 not_found.`,
        security: ADMIN_SECURITY,
        querystring: { type: "object", properties: { ...SERIES_QUERY_PROPERTIES, ...INSTANCE_QUERY_PROPERTY }, required: ["from", "to"] },
        response: { 200: response("Series and totals.", SERIES_RESPONSE_SCHEMA), ...errors },
      },
    },
    async (request) => {
      const query = request.query as SeriesQuery;
      return series(options.storage, await adminInstance(options.storage, query.instance_id), query);
    },
  );
  app.get(
    "/admin/usage/top",
    {
      schema: {
        tags: ["admin"],
        summary: "One instance's or all instances' costliest tasks",
        description: `${TOP_DESCRIPTION} An unknown instance_id: 404 not_found.`,
        security: ADMIN_SECURITY,
        querystring: { type: "object", properties: { ...TOP_QUERY_PROPERTIES, ...INSTANCE_QUERY_PROPERTY }, required: ["from", "to"] },
        response: { 200: response("The costliest events.", TOP_RESPONSE_SCHEMA), ...errors },
      },
    },
    async (request) => {
      const query = request.query as TopQuery;
      return top(options.storage, await adminInstance(options.storage, query.instance_id), query);
    },
  );
}

function instanceOfKey(key: { instanceId: string } | null): string {
  if (key === null) throw new HttpError("unauthorized", "missing API key");
  return key.instanceId.toLowerCase();
}

/** null (all instances) when absent; a known instance's id; else 404 like the other admin routes. */
async function adminInstance(storage: AdminUsageRouteOptions["storage"], id: string | undefined): Promise<string | null> {
  if (id === undefined) return null;
  const instance = uuid.test(id) ? await storage.getInstance(id.toLowerCase()) : null;
  if (instance === null) throw new HttpError("not_found", "no instance with this id", { parameter: "instance_id" });
  return instance.id;
}
