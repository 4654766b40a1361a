import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/.base-dist/**", "**/node_modules/**", "**/data/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      // One explicit index.ts of named exports per package (style.md).
      "no-restricted-syntax": ["error", { selector: "ExportAllDeclaration", message: "Name what you export." }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // The server's layers (docs/architecture.md): a lower layer never imports a higher one.
  layerRule("packages/server/src/aggregation/**", ["storage", "predictions", "usage", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("packages/server/src/storage/**", ["predictions", "usage", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("packages/server/src/ingest/**", ["http", "routes", "config", "cli"]),
  {
    // Type-aware rules for the TypeScript sources and tests: each file is read through the
    // tsconfig.json of its package (the project service finds it).
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        // Build configurations sit outside every package's tsconfig: read with default options.
        projectService: { allowDefaultProject: ["vitest.config.ts", "packages/*/tsup.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process) and
      // its ordering; say `void` where dropping it is meant.
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
);

/** Refuses, in the files `files`, an import of any of the server's `folders` (or of app.ts, the top). */
function layerRule(files, folders) {
  const layer = files.split("/").at(-2);
  return {
    files: [files],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [...folders.map((folder) => `**/${folder}/**`), "**/app.js"],
              message: `${layer}/ must not import a layer above it (docs/architecture.md).`,
            },
          ],
        },
      ],
    },
  };
}
