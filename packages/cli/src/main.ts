import { runCli } from "./cli.js";
import type { Io } from "./io.js";
import { hookTimes } from "./telemetry/open-client.js";

/** A safety net under the hooks' own deadlines: whatever hangs, the process ends by then. */
const WATCHDOG_MS = 30 * 60 * 1000;

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

const io: Io = {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin,
  stderrIsTTY: process.stderr.isTTY === true,
  now: () => Date.now(),
};

const argv = process.argv.slice(2);
const hook = (argv[0] === "claude-code" && argv[1] === "hook") || (argv[0] === "codex" && argv[1] === "notify");
const watchdog = setTimeout(() => {
  if (hook) process.stderr.write("mosaic: out of time; what was not sent stays in the spool\n");
  process.exit(hook ? 0 : 1);
}, hook ? hookTimes(process.env).budgetMs : WATCHDOG_MS);
watchdog.unref();

runCli(argv, io).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mosaic: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(hook ? 0 : 1);
  },
);
