import { createHash } from "node:crypto";

/**
 * The namespace of every event id the CLI derives (a UUID v4 chosen once for this project).
 * Changing it would make every re-import a new event: never change it.
 */
export const EVENT_ID_NAMESPACE = "6f1d5c2e-8a4b-4c1f-9e3a-5b7d2c9f0a14";

/**
 * A name-based UUID (RFC 9562 version 5, SHA-1): the same name gives the same id on every machine,
 * so a session reported twice (hook, then import) is one event and the server answers `duplicate`.
 */
export function uuidV5(name: string, namespace = EVENT_ID_NAMESPACE): string {
  const hash = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The event id of one harness session. */
export function sessionEventId(harness: string, sessionId: string): string {
  return uuidV5(`${harness}:${sessionId}`);
}
