import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spoolChecksum } from "../../src/spool/spool-checksum.js";
import { spoolFileName } from "../../src/spool/spool-owner.js";
import type { SpoolFileKind, SpoolOwner } from "../../src/spool/spool-owner.js";
import { RecordBuffer } from "../../src/spool/spool-record.js";

// No vitest import here: spool-child.ts, run outside vitest, uses these too.

/** A small event with the id inside, as the client's events carry it. */
export function event(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: id, task_type: "implementation", actual_input_tokens: 215_000, model: "claude-sonnet-4-5", ...extra };
}

export const ids = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(from + i).padStart(5, "0")}`);

export const spoolFiles = (dir: string): string[] => readdirSync(dir).filter((name) => /\.(spool|claim|compact)$/.test(name)).sort();

/** One encoded record line, with a correct checksum over whatever payload it is given (to build well-checksummed nonsense). */
export function recordLine(kind: "A" | "D", payload: string): Buffer {
  const body = Buffer.from(`${kind} ${payload}`, "utf8");
  const sum = spoolChecksum(body, 0, body.length).toString(16).padStart(8, "0");
  return Buffer.concat([Buffer.from(`${sum} `), body, Buffer.from("\n")]);
}

/** The bytes of add records for `adds` then, optionally, one remove record per entry of `removes`. */
export function records(adds: readonly string[], removes: readonly (readonly string[])[] = []): Buffer {
  const buffer = new RecordBuffer();
  for (const id of adds) buffer.add(id, event(id));
  for (const group of removes) buffer.remove(group);
  return Buffer.from(buffer.view());
}

/** Writes a spool file as a (fictional) owner left it; returns its path. */
export function writeLeftover(dir: string, owner: SpoolOwner, data: Buffer, kind: SpoolFileKind = "spool"): string {
  const path = join(dir, spoolFileName(owner, kind));
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

/** Ends the current turn: the microtask that writes has run once this resolves. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));


/** What spool-child.ts does; passed to it as JSON. */
export interface ChildPlan {
  dir: string;
  /** Events to append after open, `perTurn` per event-loop turn; ids from `ids(prefix, count)`. */
  count?: number;
  perTurn?: number;
  prefix?: string;
  /** After the appends: stay alive (to be killed), close, do nothing (the process must end by itself), exit() in the last append's turn, or append forever. */
  then: "stay" | "close" | "leave" | "exit-now" | "stream";
  /** Busy-waits until this Date.now() before opening, so two children open at the same moment. */
  openAt?: number;
}

/** Damages one byte in place, as a bad sector or a stray write would. */
export function flipByte(data: Buffer, index: number, mask = 0x01): void {
  data.writeUInt8((data.readUInt8(index) ^ mask) & 0xff, index);
}
