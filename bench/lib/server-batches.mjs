/**
 * Request bodies of 100 events for the server benches, each event with a fresh event_id, built
 * cheaply (string concatenation around a pre-serialised event) so the load generator spends its
 * time sending, not building. Every id is unique within the process: a random run prefix and a
 * counter, in the UUID shape the validator requires.
 */
import { randomBytes } from "node:crypto";
import { EVENT_FIELDS, SCHEMA_VERSION } from "./event-fields.mjs";

/** @param {string} instanceId @param {number} perBatch */
export function batchFactory(instanceId, perBatch = 100) {
  const run = randomBytes(4).toString("hex");
  let counter = 0;
  const rest = JSON.stringify({
    instance_id: instanceId,
    schema_version: SCHEMA_VERSION,
    timestamp: new Date().toISOString(),
    ...EVENT_FIELDS,
  }).slice(1);
  return {
    /** The next body, as a string. */
    next() {
      let body = '{"events":[';
      for (let i = 0; i < perBatch; i++) {
        const id = `${run}-0000-4000-8000-${(counter++).toString(16).padStart(12, "0")}`;
        body += `${i === 0 ? "" : ","}{"event_id":"${id}",${rest}`;
      }
      return `${body}]}`;
    },
    /** Events built so far. */
    built: () => counter,
  };
}
