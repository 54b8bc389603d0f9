// The project's license, and every package manifest saying the same.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const json = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8")) as { license?: string; workspaces?: string[] };

describe("license", () => {
  it("is Apache-2.0 at the root and in the published package", () => {
    for (const path of ["LICENSE", "js/LICENSE"]) {
      const text = readFileSync(join(root, path), "utf8");
      expect(text, path).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
      expect(text, path).toContain("END OF TERMS AND CONDITIONS");
    }
  });

  it("is what every package manifest and the lockfile say", () => {
    const workspace = json("package.json");
    const manifests = ["package.json", ...(workspace.workspaces ?? []).map((w) => `${w}/package.json`)];
    expect(manifests).toContain("js/package.json");
    for (const path of manifests) {
      expect(json(path).license, path).toBe("Apache-2.0");
    }
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { license?: string }> };
    for (const w of ["", ...(workspace.workspaces ?? [])]) {
      expect(lock.packages[w]?.license, `package-lock.json packages["${w}"]`).toBe("Apache-2.0");
    }
  });
});
