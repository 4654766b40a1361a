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
