import pretty from "pino-pretty";
import type { DestinationStream, LogFn, Logger } from "pino";

/**
 * Where the server's logs go when no stream is given: pino-pretty's readable lines when stdout is
 * a terminal (a person reads them), pino's JSON lines otherwise (a collector parses them).
 * pretty runs in this thread, synchronously, so a line is out before the process exits.
 */
export function logDestination(stdout: { isTTY?: boolean }): { stream?: DestinationStream } {
  if (stdout.isTTY !== true) return {};
  return { stream: pretty({ sync: true, colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }) };
}

/**
 * pino's logMethod hook: drops Fastify's "Server listening at …" lines (one per address,
 * localhost makes two), since startServer logs one line naming the URL, storage and Redis.
 */
export function quietListenLines(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  if (typeof args[0] === "string" && args[0].startsWith("Server listening at ")) return;
  method.apply(this, args);
}
