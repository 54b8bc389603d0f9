import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `vite build` writes dist/, which the local dev stack serves (make demo).
// The wasm client comes from the @goconvex/react workspace package: its
// loader references goconvex.wasm with new URL(…, import.meta.url), which
// Vite emits as a hashed asset.
export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022", // top-level await in main.tsx
    chunkSizeWarningLimit: 1024,
  },
});
