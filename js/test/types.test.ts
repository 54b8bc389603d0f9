// The type-level row: test/types/user_code.convex.tsx is user code written
// against convex/react 1.48; user_code.ours.tsx is the same code with only
// its first line (the import of the library) pointing at this package.
// `tsc -p tsconfig.json --noEmit` (make test-wasm) type-checks both: the
// first proves the code is valid convex/react code, the second that it
// compiles unchanged against @goconvex/react. This test keeps them the same.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = join(dirname(fileURLToPath(import.meta.url)), "types");
const lines = (name: string) => readFileSync(join(dir, name), "utf8").split("\n");

describe("typed convex/react user code", () => {
  it("is the same code in both files, but for the import of the library", () => {
    const theirs = lines("user_code.convex.tsx");
    const mine = lines("user_code.ours.tsx");
    expect(theirs[0]).toBe('import * as lib from "convex/react";');
    expect(mine[0]).toBe('import * as lib from "../../src/index.js";');
    expect(mine.slice(1)).toEqual(theirs.slice(1));
    expect(theirs.length).toBeGreaterThan(100);
  });
});
