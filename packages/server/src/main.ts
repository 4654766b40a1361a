import { runServerProcess } from "./cli/serve.js";
import { createPredictor } from "./predictions/predictor.js";

// `npm start` / `node dist/main.js`: configuration from the environment (docs/configuration.md).
await runServerProcess(createPredictor);
