#!/usr/bin/env node
import { createPredictor } from "../predictions/predictor.js";
import { runCli } from "./cli.js";
import { runServerProcess } from "./serve.js";

// The `mosaic-telemetry` command. `serve` keeps the process alive; the others exit with their code.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // export streams: wait for stdout to drain rather than buffer a whole instance in memory.
  write: (text) => new Promise<void>((done) => (process.stdout.write(text) ? done() : process.stdout.once("drain", () => done()))),
  serve: () => runServerProcess(createPredictor),
});
// Exit at once rather than wait for fetch's idle keep-alive sockets (stdout to a pipe or file is synchronous on Linux).
if (process.argv[2] !== "serve" || code !== 0) process.exit(code);
