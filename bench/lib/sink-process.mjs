/**
 * The loopback sink, run as its own process so that its JSON parsing never shares an event loop
 * (or a heap) with the library being measured. Started by sink.mjs; prints one JSON line
 * `{"port": n}` on stdout once it listens on 127.0.0.1.
 *
 *   --mode answer  (default) answers like the server: /v1/events/batch gets the contract's
 *                  {"accepted","duplicates","rejected","results"}; any other path gets 200 {}.
 *   --mode hang    reads every request and never answers, so a library's batches stay in flight
 *                  (the memory bench: nothing is delivered, so nothing leaves the library's heap).
 *
 * Control routes (bench only): GET /__stats -> {"events": {path: count}, "requests": n},
 * POST /__reset zeroes the counters. Events are counted by parsing each body (gzip or not):
 * `events` (our contract) or `batch` (posthog-node, segment).
 */
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import { gunzipSync } from "node:zlib";

const modeIndex = process.argv.indexOf("--mode");
const mode = modeIndex > 0 ? process.argv[modeIndex + 1] : "answer";
if (mode !== "answer" && mode !== "hang") {
  console.error(`sink: unknown --mode ${mode} (answer | hang)`);
  process.exit(2);
}

let events = {};
let requests = 0;
let badBodies = 0;

function countEvents(path, body) {
  const list = Array.isArray(body?.events) ? body.events : Array.isArray(body?.batch) ? body.batch : null;
  if (list === null) {
    badBodies++;
    return [];
  }
  events[path] = (events[path] ?? 0) + list.length;
  return list;
}

function send(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "api-version": "1" });
  res.end(text);
}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === "/__stats") return send(res, 200, { events, requests, badBodies });
  if (req.method === "POST" && path === "/__reset") {
    events = {};
    requests = 0;
    badBodies = 0;
    return send(res, 200, {});
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    requests++;
    if (mode === "hang") return; // hold the request open: the client keeps the batch in memory
    let raw = Buffer.concat(chunks);
    let list = [];
    try {
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      list = countEvents(path, raw.length > 0 ? JSON.parse(raw.toString("utf8")) : null);
    } catch {
      badBodies++;
      return send(res, 400, { error: { code: "invalid_body", message: "sink could not parse the body" } });
    }
    if (path.endsWith("/v1/events/batch")) {
      const results = list.map((event, index) => ({ index, event_id: event?.event_id ?? null, status: "accepted" }));
      return send(res, 200, { accepted: list.length, duplicates: 0, rejected: 0, results });
    }
    return send(res, 200, {});
  });
});

// Many concurrent keep-alive sockets (segment fires every full batch at once).
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// The parent closes our stdin when it is done (or dies): never outlive it.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
