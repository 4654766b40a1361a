import type { QualityGate } from "@mosaicstack/telemetry-protocol";
import type { GateRun } from "./session-summary.js";

/**
 * Shell commands that run a quality gate, by tool (docs/capture.md has the same table). A
 * command line is split at `&&`, `||`, `;` and `|` and each part is matched on its own, so
 * `npm run build && npm test` runs two gates. The first rule that matches a part wins.
 */
export const GATE_RULES: readonly { gate: QualityGate; pattern: RegExp }[] = [
  // Package scripts by their conventional names (npm, pnpm, yarn, bun).
  { gate: "typecheck", pattern: /^(npm|pnpm|yarn|bun)\s+(run\s+)?(typecheck|type-check|check-types|tsc)\b/ },
  { gate: "coverage", pattern: /^(npm|pnpm|yarn|bun)\s+(run\s+)?(coverage|test:cov\w*|test:coverage)\b/ },
  { gate: "lint", pattern: /^(npm|pnpm|yarn|bun)\s+(run\s+)?(lint|format:check|lint:\w+)\b/ },
  { gate: "test", pattern: /^(npm|pnpm|yarn|bun)\s+(run\s+)?(test|t|test:\w+|e2e)\b/ },
  { gate: "build", pattern: /^(npm|pnpm|yarn|bun)\s+(run\s+)?build\b/ },
  { gate: "security", pattern: /^(npm|pnpm|yarn)\s+audit\b/ },
  // Tools called directly, or through npx / pnpm exec / bunx / uv run / poetry run / python -m.
  { gate: "coverage", pattern: /^(vitest|jest)\b.*--coverage\b|^(c8|nyc)\b|^(pytest|py\.test)\b.*--cov\b|^coverage\s+(run|report)\b|^cargo\s+(tarpaulin|llvm-cov)\b|^go\s+test\b.*-cover/ },
  { gate: "typecheck", pattern: /^(tsc|vue-tsc)\b|^(mypy|pyright|basedpyright)\b|^cargo\s+check\b|^go\s+vet\b/ },
  { gate: "lint", pattern: /^(eslint|biome\s+(check|lint)|oxlint|prettier\s+--check|ruff(\s+check)?|flake8|pylint|black\s+--check|golangci-lint|staticcheck|rubocop|shellcheck)\b|^cargo\s+(clippy|fmt\s+--check)\b|^gofmt\s+-l\b/ },
  { gate: "test", pattern: /^(vitest|jest|mocha|ava|playwright\s+test|pytest|py\.test|tox|rspec|phpunit)\b|^(cargo|go|deno|bun|dotnet|mvn|gradle|\.\/gradlew|mix)\s+test\b|^make\s+(test|check)\b|^ctest\b/ },
  { gate: "build", pattern: /^(cargo|go|dotnet|zig)\s+build\b|^(make|cmake\s+--build|mvn\s+(package|compile|install)|gradle\s+build|\.\/gradlew\s+build|tsup|vite\s+build|next\s+build|webpack|esbuild|python\s+-m\s+build)\b/ },
  { gate: "security", pattern: /^(snyk\s+test|semgrep|bandit|pip-audit|safety\s+check|gosec|govulncheck|trivy|osv-scanner)\b|^cargo\s+(audit|deny)\b/ },
];

/** A runner in front of the tool (`npx vitest`, `uv run pytest`, `python -m pytest`). */
const RUNNER = /^(npx|pnpx|bunx|pnpm\s+exec|pnpm\s+dlx|yarn\s+dlx|uv\s+run|poetry\s+run|pipenv\s+run|python3?\s+-m|time)\s+/;
/** Environment assignments and `cd dir &&` are not the command. */
const ENV_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*=\S*\s+)+/;

/** The gates one shell command line runs (distinct, in the order they appear). */
export function gatesOfCommand(command: string): QualityGate[] {
  const gates: QualityGate[] = [];
  for (const raw of command.split(/&&|\|\||;|\||\n/)) {
    let part = raw.trim().replace(ENV_PREFIX, "");
    while (RUNNER.test(part)) part = part.replace(RUNNER, "");
    const rule = GATE_RULES.find((r) => r.pattern.test(part));
    if (rule && !gates.includes(rule.gate)) gates.push(rule.gate);
  }
  return gates;
}

/**
 * The event's gate fields from the runs in order: every gate that ran, the gates whose LAST run
 * failed, and whether the session passed (at least one gate ran and none ends failed).
 */
export function gateFields(runs: readonly GateRun[]): { run: QualityGate[]; failed: QualityGate[]; passed: boolean } {
  const last = new Map<QualityGate, boolean>();
  for (const { gate, passed } of runs) last.set(gate, passed);
  const run = [...last.keys()];
  const failed = run.filter((gate) => last.get(gate) === false);
  return { run, failed, passed: run.length > 0 && failed.length === 0 };
}
