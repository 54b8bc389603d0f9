// Prints the function spec of the convex/ folder, in the format
// `npx convex function-spec` prints for a deployment, without one.
//
// A deployment builds its spec from what it learned analyzing the pushed
// modules: for each export, its kind (isQuery, isMutation, isAction), its
// visibility (isPublic, isInternal) and its validators' JSON (exportArgs(),
// exportReturns()), which convex/server's registration functions attach
// (crates/isolate/src/environment/analyze.rs and
// npm-packages/system-udfs/convex/_system/cli/modules.ts in
// get-convex/convex-backend). This script bundles each module with the
// esbuild the convex package uses, imports it, and reads the same
// properties, so that `goconvex gen --spec` can check the Go package of these
// functions (internal/chat/chatapi) against the TypeScript (make
// test-example).
//
//   node scripts/function-spec.mjs > spec.json
import { mkdtempSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const convexDir = join(root, "convex");
const require = createRequire(join(root, "package.json"));
const convexPkg = dirname(require.resolve("convex/package.json"));
const esbuild = createRequire(join(convexPkg, "package.json"))("esbuild");
const convexVersion = JSON.parse(readFileSync(join(convexPkg, "package.json"), "utf8")).version;

// The modules the CLI pushes: .ts and .js files outside _generated, without
// a second dot in their name (auth.config.ts is configuration).
function modules(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "_generated" && entry.name !== "node_modules") out.push(...modules(path));
    } else if (/^[^.]+\.(ts|js)$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

const scratch = mkdtempSync(join(tmpdir(), "goconvex-function-spec-"));
try {
  const functions = [];
  for (const file of modules(convexDir)) {
    const modulePath = relative(convexDir, file).split(sep).join("/").replace(/\.(ts|js)$/, ".js");
    const outfile = join(scratch, modulePath.replace(/\.js$/, ".mjs"));
    await esbuild.build({
      entryPoints: [file],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      logLevel: "error",
    });
    const exports = await import(pathToFileURL(outfile).href);
    for (const name of Object.keys(exports)) {
      const fn = exports[name];
      if (typeof fn !== "function" || typeof fn.exportArgs !== "function") continue;
      const functionType = fn.isQuery ? "Query" : fn.isMutation ? "Mutation" : fn.isAction ? "Action" : null;
      if (functionType === null) continue;
      functions.push({
        identifier: `${modulePath}:${name}`,
        functionType,
        visibility: { kind: fn.isInternal ? "internal" : "public" },
        args: JSON.parse(fn.exportArgs()),
        returns: JSON.parse(fn.exportReturns()),
      });
    }
  }
  process.stdout.write(JSON.stringify(sortKeys({ url: "", functions }), null, 2) + "\n");
} catch (err) {
  console.error(`function-spec (convex ${convexVersion}): ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
