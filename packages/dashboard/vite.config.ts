import { defineConfig } from "vite";

// Static files only: the server serves dist/ at / (packages/server/src/routes/dashboard-routes.ts).
// Hashed names under assets/ can be cached for ever; index.html is the one file that is not.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be an extra script; every browser the dashboard targets has modulepreload.
    modulePreload: { polyfill: false },
    // No inline data: URLs, so the Content-Security-Policy can stay without 'unsafe-inline' or data:.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
