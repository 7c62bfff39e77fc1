import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// dist/ is committed (a runner runs it as checked out): it must be what build.mjs makes of the sources now. The
// monorepo's build leaves it alone (the script is `bundle`, not `build`), so this compares what was committed.
const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(PACKAGE, "dist");

describe("dist/ is the build of the sources as they are", () => {
  const fresh = mkdtempSync(join(tmpdir(), "qus-github-action-dist-"));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it("building again gives the same files, byte for byte (else: npm run bundle -w @qus/github-action, and commit dist/)", () => {
    const built = spawnSync(process.execPath, ["build.mjs", "--outdir", fresh], {
      cwd: PACKAGE,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(built.status, built.stderr).toBe(0);
    const files = readdirSync(fresh).sort();
    expect(files).toEqual(["main.js", "post.js", "qus.js"]);
    expect(readdirSync(DIST).sort(), "dist/ holds other files than a build makes").toEqual(files);
    for (const file of files) {
      const same = readFileSync(join(DIST, file)).equals(readFileSync(join(fresh, file)));
      expect(
        same,
        `dist/${file} is out of date with the sources: run npm run bundle -w @qus/github-action and commit dist/`,
      ).toBe(true);
    }
  });
});
