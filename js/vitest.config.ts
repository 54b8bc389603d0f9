import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The hook tests run the real wasm client (dist/goconvex.wasm, built by
// `make wasm`) against the convextest deployment that wasm/internal/testenv
// starts; run them with `make test-wasm`.
export default defineConfig({
  resolve: {
    // src/loader.ts imports Go's wasm_exec.js, which the build copies to dist/.
    alias: [{ find: /^\.\/wasm_exec\.js$/, replacement: fileURLToPath(new URL("./dist/wasm_exec.js", import.meta.url)) }],
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
    // One deployment for all files: its subscription counts are asserted.
    fileParallelism: false,
    // Generous: a test makes several waits of up to 15 s (test/setup.ts).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
