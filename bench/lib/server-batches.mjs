/**
 * Request bodies of 100 events for the server benches, each event with a fresh event_id, built
 * cheaply (string concatenation around a pre-serialised event) so the load generator spends its
 * time sending, not building. Ids are made one of three ways:
 *   sdk        UUIDv7 as the SDK makes them (packages/client/src/uuid-v7.ts: the millisecond,
 *              a sequence within it, then a v4's random tail): one client's ids ascend
 *   v4         random v4 UUIDs (older clients, other tools): each lands at a random place in the
 *              server's dedup index
 *   ascending  a random run prefix and a counter: strictly ascending, the cheapest case
 */
import { randomBytes, randomUUID } from "node:crypto";
import { EVENT_FIELDS, SCHEMA_VERSION } from "./event-fields.mjs";

/** @param {string} instanceId @param {number} perBatch @param {"sdk" | "v4" | "ascending"} ids */
export function batchFactory(instanceId, perBatch = 100, ids = "sdk") {
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
        const id = ids === "sdk" ? uuidV7() : ids === "v4" ? randomUUID() : `${run}-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
        counter++;
        body += `${i === 0 ? "" : ","}{"event_id":"${id}",${rest}`;
      }
      return `${body}]}`;
    },
    /** Events built so far. */
    built: () => counter,
  };
}

let lastMs = -1;
/** Ids made so far in lastMs: their sequence within it. */
let sequence = 0;
/** The SDK's UUIDv7, as packages/client/src/uuid-v7.ts makes it (a plain-Node bench cannot import the TypeScript). */
function uuidV7() {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    sequence = 0;
  }
  const hex = ms.toString(16).padStart(12, "0");
  const seq = (sequence++ & 0xfff).toString(16).padStart(3, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${seq}${randomUUID().slice(18)}`;
}
