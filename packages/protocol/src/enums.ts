/**
 * The enumerations of event schema 1.0 (docs/api.md). Each is a frozen constant object with
 * upper-case keys and a union type of its values, so that both `TaskType.IMPLEMENTATION` and
 * the literal `"implementation"` type-check.
 */

/** What kind of work the task was. */
export const TaskType = Object.freeze({
  PLANNING: "planning",
  ARCHITECTURE: "architecture",
  IMPLEMENTATION: "implementation",
  CODE_REVIEW: "code_review",
  TESTING: "testing",
  DEBUGGING: "debugging",
  REFACTORING: "refactoring",
  DOCUMENTATION: "documentation",
  CONFIGURATION: "configuration",
  SECURITY_AUDIT: "security_audit",
  UNKNOWN: "unknown",
} as const);
export type TaskType = (typeof TaskType)[keyof typeof TaskType];

/** How hard the task was judged to be. */
export const Complexity = Object.freeze({
  LOW: "low",
  MEDIUM: "medium",
  HIGH: "high",
  CRITICAL: "critical",
} as const);
export type Complexity = (typeof Complexity)[keyof typeof Complexity];

/** The agent harness that ran the task. */
export const Harness = Object.freeze({
  CLAUDE_CODE: "claude_code",
  OPENCODE: "opencode",
  KILO_CODE: "kilo_code",
  AIDER: "aider",
  CURSOR: "cursor",
  CODEX: "codex",
  GEMINI_CLI: "gemini_cli",
  API_DIRECT: "api_direct",
  OLLAMA_LOCAL: "ollama_local",
  CUSTOM: "custom",
  UNKNOWN: "unknown",
} as const);
export type Harness = (typeof Harness)[keyof typeof Harness];

/** Who served the model. */
export const Provider = Object.freeze({
  ANTHROPIC: "anthropic",
  OPENAI: "openai",
  OPENROUTER: "openrouter",
  OLLAMA: "ollama",
  GOOGLE: "google",
  MISTRAL: "mistral",
  XAI: "xai",
  DEEPSEEK: "deepseek",
  CUSTOM: "custom",
  UNKNOWN: "unknown",
} as const);
export type Provider = (typeof Provider)[keyof typeof Provider];

/** How the task ended. */
export const Outcome = Object.freeze({
  SUCCESS: "success",
  PARTIAL: "partial",
  FAILURE: "failure",
  TIMEOUT: "timeout",
} as const);
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** A quality gate a task may run. */
export const QualityGate = Object.freeze({
  BUILD: "build",
  LINT: "lint",
  TEST: "test",
  COVERAGE: "coverage",
  TYPECHECK: "typecheck",
  SECURITY: "security",
} as const);
export type QualityGate = (typeof QualityGate)[keyof typeof QualityGate];

/** The size of the repository the task ran in. */
export const RepoSizeCategory = Object.freeze({
  TINY: "tiny",
  SMALL: "small",
  MEDIUM: "medium",
  LARGE: "large",
  HUGE: "huge",
} as const);
export type RepoSizeCategory = (typeof RepoSizeCategory)[keyof typeof RepoSizeCategory];

/** The values of an enumeration object, as a readonly array (for schemas and validation). */
export function enumValues<T extends Readonly<Record<string, string>>>(enumeration: T): readonly T[keyof T][] {
  return Object.freeze(Object.values(enumeration)) as readonly T[keyof T][];
}
