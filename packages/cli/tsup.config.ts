import { defineConfig } from "tsup";

// One ESM file with a shebang. The protocol (private) and the price snapshot are inlined; the
// SDK stays an ordinary dependency, so `npx @mosaicstack/telemetry-cli` installs exactly one
// package besides this one, and no native code.
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  target: "node18",
  platform: "node",
  tsconfig: "tsconfig.build.json",
  dts: false,
  noExternal: ["@mosaicstack/telemetry-protocol"],
  external: ["@mosaicstack/telemetry-client"],
  banner: { js: "#!/usr/bin/env node" },
  sourcemap: true,
  clean: true,
  treeshake: true,
});
