import { execFile, spawnSync } from "node:child_process";
import { extname } from "node:path";
import type { RepoSizeCategory } from "@mosaicstack/telemetry-protocol";

/** File extension -> language; the most frequent language among tracked files wins. */
const LANGUAGES: Record<string, string> = {
  ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
  ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
  ".py": "python", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin", ".kts": "kotlin",
  ".rb": "ruby", ".php": "php", ".cs": "csharp", ".fs": "fsharp", ".swift": "swift",
  ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
  ".scala": "scala", ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".clj": "clojure",
  ".hs": "haskell", ".ml": "ocaml", ".dart": "dart", ".lua": "lua", ".r": "r", ".jl": "julia",
  ".zig": "zig", ".sh": "shell", ".bash": "shell", ".sql": "sql", ".vue": "vue", ".svelte": "svelte",
};

/** Tracked files -> repo_size_category (upper bounds, exclusive). */
export const REPO_SIZES: readonly [number, RepoSizeCategory][] = [
  [50, "tiny"],
  [500, "small"],
  [5_000, "medium"],
  [50_000, "large"],
];

export interface RepoInfo {
  language: string | null;
  repo_size_category: RepoSizeCategory;
}

const GIT_ARGS = ["ls-files", "-z"];
const MAX_BUFFER = 256 * 1024 * 1024;

/**
 * Language and size of the git repository at `cwd` from its tracked files (`git ls-files`), or
 * null when `cwd` is not in one or git is missing. Bounded: git gets `timeoutMs`.
 */
export function repoInfo(cwd: string | null, timeoutMs = 1000): RepoInfo | null {
  if (cwd === null) return null;
  const result = spawnSync("git", GIT_ARGS, { cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: MAX_BUFFER, stdio: ["ignore", "pipe", "ignore"] });
  return result.status === 0 && typeof result.stdout === "string" ? fromFileList(result.stdout) : null;
}

/** The same without blocking: the hook starts git, then parses the transcript while git runs. */
export function repoInfoLater(cwd: string | null, timeoutMs: number): Promise<RepoInfo | null> {
  if (cwd === null) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile("git", GIT_ARGS, { cwd, encoding: "utf8", timeout: timeoutMs, maxBuffer: MAX_BUFFER }, (error, stdout) => resolve(error ? null : fromFileList(stdout)));
  });
}

function fromFileList(list: string): RepoInfo {
  const files = list.split("\0").filter((f) => f !== "");
  const byLanguage = new Map<string, number>();
  for (const file of files) {
    const language = LANGUAGES[extname(file).toLowerCase()];
    if (language !== undefined) byLanguage.set(language, (byLanguage.get(language) ?? 0) + 1);
  }
  let language: string | null = null;
  let most = 0;
  for (const [name, n] of byLanguage) if (n > most) [language, most] = [name, n];
  const size = REPO_SIZES.find(([bound]) => files.length < bound)?.[1] ?? "huge";
  return { language, repo_size_category: size };
}
