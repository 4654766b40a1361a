import { UTC_TIMESTAMP_PATTERN } from "@mosaicstack/telemetry-protocol";
import { HttpError } from "../http/http-error.js";
import { DAY_MS, HOUR_MS, ROLLUP_DIMENSIONS, type RollupDimension } from "../storage/usage-rollup.js";

/**
 * The usage routes' query parameters, checked once into a complete object. Ranges are bounded so
 * that a read stays small whatever is stored: rollups are per hour, so a range is whole UTC hours.
 */

/** Longest range of any usage read. */
export const MAX_RANGE_DAYS = 366;
/** Longest range read in hour buckets (31 days: 744 points per group). */
export const MAX_HOUR_BUCKET_DAYS = 31;
/** Most events a costliest-tasks read returns, and its default. */
export const MAX_TOP_LIMIT = 100;
export const DEFAULT_TOP_LIMIT = 10;

export const BUCKETS = ["hour", "day"] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface UsageRange {
  from: Date;
  to: Date;
}

const utcTimestamp = new RegExp(UTC_TIMESTAMP_PATTERN);

/** A 400 invalid_request naming the parameter, so a caller (or the dashboard) can point at it. */
function bad(parameter: string, message: string): HttpError {
  return new HttpError("invalid_request", `${parameter}: ${message}`, { parameter });
}

function wholeHour(parameter: string, value: string): Date {
  if (!utcTimestamp.test(value)) throw bad(parameter, "must be an ISO 8601 UTC timestamp, e.g. 2026-12-01T00:00:00Z");
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March; a real date reads back as written.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) {
    throw bad(parameter, "must be a real calendar date and time");
  }
  if (ms % HOUR_MS !== 0) throw bad(parameter, "must be a whole UTC hour (minutes, seconds and fractions zero): rollups are hourly");
  return new Date(ms);
}

/** from and to: whole UTC hours, from before to, at most `maxDays` apart. */
export function parseRange(query: { from: string; to: string }, maxDays = MAX_RANGE_DAYS, why = ""): UsageRange {
  const from = wholeHour("from", query.from);
  const to = wholeHour("to", query.to);
  if (to <= from) throw bad("to", "must be after from");
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) throw bad("to", `the range from..to must not exceed ${maxDays} days${why}`);
  return { from, to };
}

export interface SeriesParams extends UsageRange {
  bucket: Bucket;
  groupBy: RollupDimension | null;
}

/** Parameters of a time-series read; the querystring schema has already checked their types and enums. */
export function parseSeriesParams(query: { from: string; to: string; bucket?: string; group_by?: string }): SeriesParams {
  const bucket = (query.bucket ?? "day") as Bucket;
  if (!BUCKETS.includes(bucket)) throw bad("bucket", `must be one of ${BUCKETS.join(", ")}`);
  const groupBy = query.group_by === undefined ? null : (query.group_by as RollupDimension);
  if (groupBy !== null && !ROLLUP_DIMENSIONS.includes(groupBy)) throw bad("group_by", `must be one of ${ROLLUP_DIMENSIONS.join(", ")}`);
  const range =
    bucket === "hour" ? parseRange(query, MAX_HOUR_BUCKET_DAYS, " with bucket=hour (use bucket=day)") : parseRange(query, MAX_RANGE_DAYS);
  return { ...range, bucket, groupBy };
}

export interface TopParams extends UsageRange {
  limit: number;
}

export function parseTopParams(query: { from: string; to: string; limit?: string }): TopParams {
  const range = parseRange(query);
  if (query.limit === undefined) return { ...range, limit: DEFAULT_TOP_LIMIT };
  const limit = /^[0-9]{1,4}$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!(limit >= 1 && limit <= MAX_TOP_LIMIT)) throw bad("limit", `must be an integer from 1 to ${MAX_TOP_LIMIT}`);
  return { ...range, limit };
}
