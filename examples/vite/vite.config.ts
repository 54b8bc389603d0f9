import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { goconvexHead } from "@goconvex/react/vite";

// `vite build` writes dist/, which the local dev stack serves (make demo).
// The wasm client comes from the @goconvex/react workspace package: its
// loader references goconvex.wasm with new URL(…, import.meta.url), which
// Vite emits as a hashed asset. goconvexHead writes the head start into
// index.html: the browser starts downloading that asset (and, when
// VITE_CONVEX_URL is set, opens the deployment's socket) while it is still
// fetching the app's script.
export default defineConfig({
  plugins: [react(), goconvexHead()],
  build: {
    target: "es2022", // top-level await in main.tsx
    chunkSizeWarningLimit: 1024,
  },
});
