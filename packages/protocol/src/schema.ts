import { EVENT_FIELDS, NOT_PLAIN_TEXT_PATTERN, UTC_TIMESTAMP_PATTERN, UUID_PATTERN, type FieldRule } from "./event-fields.js";
import { MAX_EVENTS_PER_BATCH } from "./ingest.js";
import { MAX_QUERIES_PER_BATCH, PREDICTION_SOURCES } from "./predictions.js";
import { Complexity, Provider, TaskType, enumValues } from "./enums.js";

type JsonSchema = Record<string, unknown>;

function ruleSchema(rule: FieldRule): JsonSchema {
  switch (rule.kind) {
    case "uuid":
      return { type: "string", pattern: UUID_PATTERN };
    case "timestamp":
      return { type: "string", format: "date-time", pattern: UTC_TIMESTAMP_PATTERN };
    case "const":
      return { type: "string", const: rule.value };
    case "count":
      return { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
    case "fraction":
      return { type: "number", minimum: 0, maximum: 1 };
    case "boolean":
      return { type: "boolean" };
    case "string":
      return rule.plain === true
        ? // JSON Schema patterns are ECMA-262 with the "u" flag (Ajv's default), so \p{…} classes work.
          { type: "string", minLength: rule.minLength, maxLength: rule.maxLength, pattern: `^${NOT_PLAIN_TEXT_PATTERN.replace("[", "[^")}*$` }
        : { type: "string", minLength: rule.minLength, maxLength: rule.maxLength };
    case "enum":
      return { type: "string", enum: [...rule.values] };
    case "enum-list":
      return { type: "array", items: { type: "string", enum: [...rule.values] }, maxItems: rule.values.length, uniqueItems: true };
  }
}

function eventSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const requiredNames: string[] = [];
  for (const field of EVENT_FIELDS) {
    const schema = ruleSchema(field.rule);
    if (field.optional) {
      properties[field.name] = { anyOf: [schema, { type: "null" }] };
    } else {
      properties[field.name] = schema;
      requiredNames.push(field.name);
    }
  }
  return {
    $id: "https://mosaicstack.dev/schemas/telemetry/event-1.0.json",
    title: "TaskCompletionEvent",
    description:
      "A finished AI coding task, event schema 1.0. quality_gates_failed must be a subset of quality_gates_run; " +
      "timestamp must be a real calendar date and time, not before 2000-01-01 nor more than 5 minutes in the future. " +
      "Unknown fields are ignored (and not stored).",
    type: "object",
    properties,
    required: requiredNames,
  };
}

/** JSON Schema (draft-07) of one event of schema 1.0. */
export const EVENT_JSON_SCHEMA: JsonSchema = Object.freeze(eventSchema());

/**
 * The envelope of `POST /v1/events/batch`. Events are only checked to be objects here: each is
 * validated on its own so that one bad event is a per-event `rejected`, not a whole-request 400.
 */
export const EVENT_BATCH_REQUEST_SCHEMA: JsonSchema = Object.freeze({
  title: "EventBatchRequest",
  type: "object",
  properties: {
    events: { type: "array", minItems: 1, maxItems: MAX_EVENTS_PER_BATCH, items: { type: "object" } },
  },
  required: ["events"],
});

/** One query of `POST /v1/predictions/batch`. */
export const PREDICTION_QUERY_SCHEMA: JsonSchema = Object.freeze({
  title: "PredictionQuery",
  type: "object",
  properties: {
    task_type: { type: "string", enum: [...enumValues(TaskType)] },
    model: { type: "string", minLength: 1, maxLength: 100 },
    provider: { type: "string", enum: [...enumValues(Provider)] },
    complexity: { type: "string", enum: [...enumValues(Complexity)] },
    source: { type: "string", enum: [...PREDICTION_SOURCES] },
  },
  required: ["task_type", "model", "provider", "complexity"],
});

/** The envelope of `POST /v1/predictions/batch`. */
export const PREDICTION_BATCH_REQUEST_SCHEMA: JsonSchema = Object.freeze({
  title: "PredictionBatchRequest",
  type: "object",
  properties: {
    queries: { type: "array", minItems: 1, maxItems: MAX_QUERIES_PER_BATCH, items: PREDICTION_QUERY_SCHEMA },
  },
  required: ["queries"],
});
