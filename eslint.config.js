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
  // The server's layers (docs/architecture.md): a lower layer never imports a higher one, nor
  // app.ts, index.ts or main.ts (the top, which re-exports everything).
  layerRule("aggregation", ["storage", "predictions", "usage", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("storage", ["predictions", "usage", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("ingest", ["predictions", "usage", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("predictions", ["usage", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("usage", ["predictions", "ingest", "auth", "cluster", "metrics", "http", "routes", "config", "cli"]),
  layerRule("metrics", ["storage", "predictions", "usage", "ingest", "auth", "cluster", "http", "routes", "config", "cli"]),
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

/**
 * Refuses, in packages/server/src/<layer>/, a relative import of any of the server's `folders`
 * or of its top files. (A dynamic import() is not checked by no-restricted-imports.)
 */
function layerRule(layer, folders) {
  return {
    files: [`packages/server/src/${layer}/**`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${folders.join("|")})/`,
              message: `${layer}/ must not import a layer above it (docs/architecture.md).`,
            },
            {
              regex: "^(\\.\\./)+(app|index|main)\\.js$",
              message: `${layer}/ must not import the server's top files (docs/architecture.md).`,
            },
          ],
        },
      ],
    },
  };
}
