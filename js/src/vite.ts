/**
 * `@goconvex/react/vite`: a Vite plugin that writes the head start
 * ({@link headScript}) into the app's index.html, so that goconvex.wasm is
 * downloaded, and the deployment's socket opened, while the browser is
 * still fetching the app's script.
 *
 * ```ts
 * // vite.config.ts
 * import { goconvexHead } from "@goconvex/react/vite";
 * export default defineConfig({ plugins: [react(), goconvexHead()] });
 * ```
 *
 * @module
 */
import type { Plugin } from "vite";
import { headScript, type HeadOptions } from "./head.js";

/** The options of {@link goconvexHead}. */
export interface GoConvexHeadOptions {
  /**
   * The deployment whose socket to open early. Default: `VITE_CONVEX_URL`
   * from Vite's env files and environment; none when that is not set (an
   * app that learns its deployment at run time).
   */
  deploymentUrl?: string;
  /** Also compile the wasm from the head (default: only download it there): see {@link HeadOptions.compile}. */
  compile?: boolean;
}

/** The name of the binary as the package ships it (the asset the loader's `new URL` becomes). */
const WASM_NAME = "goconvex.wasm";

/**
 * The plugin. In a build it finds the emitted goconvex.wasm asset (hashed
 * name and all) and starts its download from the head; in the dev
 * server, where the binary is served from the package, it opens only the
 * socket.
 */
export function goconvexHead(options: GoConvexHeadOptions = {}): Plugin {
  let base = "/";
  let envUrl: string | undefined;
  return {
    name: "goconvex-head",
    configResolved(config) {
      base = config.base;
      const v = config.env["VITE_CONVEX_URL"];
      envUrl = typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
    },
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const start: HeadOptions = {};
        if (options.compile !== undefined) start.compile = options.compile;
        for (const file of Object.values(ctx.bundle ?? {})) {
          if (file.type === "asset" && (file.names.includes(WASM_NAME) || file.name === WASM_NAME)) {
            start.wasmUrl = base + file.fileName;
            break;
          }
        }
        const deploymentUrl = options.deploymentUrl ?? envUrl;
        if (deploymentUrl !== undefined) start.deploymentUrl = deploymentUrl;
        if (start.wasmUrl === undefined && start.deploymentUrl === undefined) return;
        return [{ tag: "script", children: headScript(start), injectTo: "head-prepend" }];
      },
    },
  };
}
