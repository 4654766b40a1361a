import { defineConfig } from "tsup";

// The protocol package is a devDependency: its code and its types are inlined so the published
// SDK has zero runtime dependencies and no import of "@mosaicstack/telemetry-protocol".
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "node18",
  platform: "node",
  tsconfig: "tsconfig.build.json",
  dts: true,
  noExternal: ["@mosaicstack/telemetry-protocol"],
  sourcemap: true,
  clean: true,
  treeshake: true,
});
