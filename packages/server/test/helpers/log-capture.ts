import { Writable } from "node:stream";

/** A stream for the app's pino logger that keeps every chunk written, for "no secret in logs" checks. */
export function logCapture(): { stream: Writable; logs: string[] } {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { stream, logs };
}
