// Regenerates convex/_generated/ with the convex package's own code generator,
// without a deployment.
//
// `npx convex codegen` and `npx convex dev` want a deployment (they push the
// functions and analyse them first), and none is reachable from the local dev
// stack or CI. The CLI's app-only code path (`codegen --system-udfs`, the one
// Convex uses for its own system functions) writes the same api, dataModel and
// server files from the convex/ folder alone, so this script runs that in a
// scratch copy and commits its output, with one comment line on top saying
// where it came from. Against a real deployment, `npx convex dev` rewrites
// these files (adding a `components` export and typed env vars); the app needs
// neither.
//
//   node scripts/codegen.mjs           # rewrite convex/_generated/
//   node scripts/codegen.mjs --check   # fail when convex/_generated/ is stale
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const generatedDir = join(root, "convex", "_generated");
const require = createRequire(join(root, "package.json"));
const convexPkg = dirname(require.resolve("convex/package.json"));
const convexVersion = JSON.parse(readFileSync(join(convexPkg, "package.json"), "utf8")).version;
const check = process.argv.includes("--check");

const banner =
  `// Committed output of the convex ${convexVersion} code generator for this folder (no deployment is reachable here);\n` +
  `// regenerate with \`npm run codegen\` in examples/vite, or let \`npx convex dev\` rewrite it against a real deployment.\n`;

const scratch = mkdtempSync(join(tmpdir(), "goconvex-codegen-"));
try {
  cpSync(join(root, "convex"), join(scratch, "convex"), {
    recursive: true,
    filter: (src) => !src.includes(`${join("convex", "_generated")}`),
  });
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "codegen", private: true, dependencies: { convex: convexVersion } }));
  symlinkSync(dirname(convexPkg), join(scratch, "node_modules"), "dir");
  execFileSync(process.execPath, [join(convexPkg, "bin", "main.js"), "codegen", "--system-udfs", "--typecheck", "disable"], {
    cwd: scratch,
    stdio: ["ignore", "inherit", "inherit"],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CONVEX_"))),
  });
  const fresh = new Map(
    readdirSync(join(scratch, "convex", "_generated"))
      .sort()
      .map((name) => [name, banner + readFileSync(join(scratch, "convex", "_generated", name), "utf8")]),
  );
  if (check) {
    const committed = new Set(readdirSync(generatedDir));
    const stale = [...fresh].filter(([name, text]) => {
      try {
        return readFileSync(join(generatedDir, name), "utf8") !== text;
      } catch {
        return true;
      }
    });
    const extra = [...committed].filter((name) => !fresh.has(name));
    if (stale.length > 0 || extra.length > 0) {
      console.error(
        `convex/_generated is stale (${[...stale.map(([n]) => n), ...extra.map((n) => `${n} (not generated)`)].join(", ")}): run \`npm run codegen\` in examples/vite`,
      );
      process.exit(1);
    }
    console.log(`convex/_generated matches the convex ${convexVersion} code generator (${[...fresh.keys()].join(", ")})`);
  } else {
    rmSync(generatedDir, { recursive: true, force: true });
    cpSync(join(scratch, "convex", "_generated"), generatedDir, { recursive: true });
    for (const [name, text] of fresh) {
      writeFileSync(join(generatedDir, name), text);
    }
    console.log(`wrote convex/_generated (${[...fresh.keys()].join(", ")})`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
