import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { dirname, join, resolve } from "node:path";
import { CLIENT_DIR, GUIDE_PATH, REPO_ROOT } from "./dist.js";

function typescriptBlocks(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/```typescript\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/** The ```typescript blocks of the integration guide, in order. */
export function guideBlocks(): string[] {
  return typescriptBlocks(GUIDE_PATH);
}

/** The ```typescript blocks of the package README (compiled too, so they cannot rot). */
export function readmeBlocks(): string[] {
  return typescriptBlocks(join(CLIENT_DIR, "README.md"));
}

export const guideExists = (): boolean => existsSync(GUIDE_PATH);

/** Blocks that name their file in a first-line comment go there; the others become src/block-N.ts. */
function fileFor(block: string, index: number): string {
  const named = /^\/\/ ([\w./-]+\.ts)\b/.exec(block);
  return named ? (named[1] as string) : `src/block-${index}.ts`;
}

/**
 * What a snippet without imports assumes from the text around it: the SDK's names, the
 * `telemetry` singleton of src/telemetry.ts and an application `logger`.
 */
const PRELUDE = `import { TelemetryClient, TaskType, Provider, Complexity } from "@mosaicstack/telemetry-client";
import { telemetry } from "./telemetry.js";
declare const logger: { error(message: string, context?: Record<string, unknown>): void };
`;

/** Fills the guide's `// ...` placeholder object with the required options (a mirrored copy; the guide is not changed). */
function fillPlaceholders(block: string): string {
  return block.replace(
    /^(\s*)\/\/ \.\.\.\s*$/m,
    `$1serverUrl: process.env.TELEMETRY_API_URL!,\n$1apiKey: process.env.TELEMETRY_API_KEY!,\n$1instanceId: process.env.TELEMETRY_INSTANCE_ID!,`,
  );
}

/** The README's examples: complete as written, each a module under readme/ (at the path its first-line comment names). */
function readmeFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  readmeBlocks().forEach((block, index) => {
    const named = /^\/\/ ([\w./-]+\.ts)\b/.exec(block);
    files[`readme/${named ? (named[1] as string) : `example-${index}.ts`}`] = `export {};\n${block}`;
  });
  return files;
}

/**
 * Writes every guide example into `dir` as a small project: the Next.js files at their paths,
 * the Node.js service under src/, the README's examples under readme/, a stub for next/server,
 * and the BUILT SDK copied in as node_modules/@mosaicstack/telemetry-client. Returns the files written.
 */
export function writeGuideProject(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  guideBlocks().forEach((block, index) => {
    const file = fileFor(block, index);
    // Only the unnamed snippets lean on context; the named files are complete as written.
    const needsPrelude = file.startsWith("src/block-") && !/^import /m.test(block);
    files[file] = (needsPrelude ? PRELUDE : "") + fillPlaceholders(block);
  });
  return writeExampleProject(dir, { ...files, ...readmeFiles() });
}

/** The README's examples alone, as writeGuideProject writes them: what a clone without the contract still compiles. */
export function writeReadmeProject(dir: string): Record<string, string> {
  return writeExampleProject(dir, readmeFiles());
}

function writeExampleProject(dir: string, files: Record<string, string>): Record<string, string> {
  files["stubs/next-server.ts"] =
    "export declare const NextResponse: { json(body: unknown, init?: ResponseInit): Response };\n";
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "guide-examples", private: true, type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        // Next.js style (its default lib includes the DOM): bundler resolution, "@/..." paths,
        // top-level await in the prediction examples.
        target: "ES2022",
        lib: ["DOM", "DOM.Iterable", "ES2022"],
        module: "ESNext",
        moduleResolution: "Bundler",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        paths: { "@/*": ["./*"], "next/server": ["./stubs/next-server.ts"] },
      },
      include: ["**/*.ts"],
      exclude: ["node_modules"],
    }),
  );
  const target = join(dir, "node_modules/@mosaicstack/telemetry-client");
  mkdirSync(target, { recursive: true });
  cpSync(join(CLIENT_DIR, "package.json"), join(target, "package.json"));
  cpSync(join(CLIENT_DIR, "dist"), join(target, "dist"), { recursive: true });
  symlinkSync(resolve(REPO_ROOT, "node_modules/@types"), join(dir, "node_modules/@types"), "dir");
  return files;
}

/** `tsc -p dir` with the repository's TypeScript: its exit code and what it printed (the errors). */
export async function compileProject(dir: string): Promise<{ code: number; output: string }> {
  const tsc = resolve(REPO_ROOT, "node_modules/typescript/bin/tsc");
  return promisify(execFile)(process.execPath, [tsc, "-p", dir], { cwd: dir }).then(
    () => ({ code: 0, output: "" }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? "" }),
  );
}
