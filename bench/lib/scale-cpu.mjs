/**
 * CPU time read from /proc, so a bench can say where the time of a run went: the server
 * processes, PostgreSQL's backends and its background writers, Redis, the load generator, and
 * how busy the whole machine was.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import process from "node:process";

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // Linux's USER_HZ is 100 almost everywhere.
}

/** User + system CPU seconds of one process, or 0 when it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Busy and total CPU seconds of the whole machine since boot (all cores). */
export function machineCpuSeconds() {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [, ...values] = line.trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/** This process's own CPU seconds (the load generator). */
export function selfCpuSeconds() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Redis's CPU seconds from INFO cpu (main thread and children, user and system). */
export async function redisCpuSeconds(redis) {
  if (!redis) return 0;
  const info = await redis.info("cpu");
  let sum = 0;
  for (const name of ["used_cpu_sys", "used_cpu_user"]) {
    const match = new RegExp(`^${name}:([\\d.]+)`, "m").exec(info);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

/**
 * PostgreSQL CPU seconds split into the backends serving `applicationName` and the server's
 * own background processes (WAL writer, checkpointer, background writer, autovacuum): the
 * commit work of every backend lands partly there.
 */
export async function postgresCpuSeconds(admin, applicationName) {
  const { rows } = await admin.query(
    `SELECT pid, application_name = $1 AS ours, backend_type FROM pg_stat_activity
     WHERE application_name = $1 OR backend_type <> 'client backend'`,
    [applicationName],
  );
  let backends = 0;
  let background = 0;
  for (const row of rows) {
    const seconds = processCpuSeconds(row.pid);
    if (row.ours) backends += seconds;
    else background += seconds;
  }
  return { backends, background, pids: rows.filter((row) => row.ours).map((row) => row.pid) };
}

/**
 * Samples what this run's PostgreSQL backends are doing every `intervalMs` until `stop()`:
 * on CPU (active, no wait event), waiting on a lock (row locks of popular aggregate rows show
 * here), waiting on I/O (WAL flush at commit), or idle (waiting for the next request).
 */
export function sampleBackendStates(admin, applicationName, intervalMs = 50) {
  const counts = { cpu: 0, lock: 0, io: 0, other: 0, idle: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query(
        "SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = $1",
        [applicationName],
      );
      for (const row of rows) {
        if (row.state !== "active") counts.idle++;
        else if (row.wait_event_type === null) counts.cpu++;
        else if (row.wait_event_type === "Lock") counts.lock++;
        else if (row.wait_event_type === "IO" || row.wait_event_type === "LWLock") counts.io++;
        else counts.other++;
      }
      await new Promise((done) => globalThis.setTimeout(done, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}
