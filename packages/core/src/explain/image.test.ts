import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import type { Exec } from "../exec.js";
import { elfFile, execResult, fakeDriver, qemuEntry } from "../test-support.js";
import { explainImage } from "./image.js";

const AARCH64_DYNAMIC = {
  bits: 64,
  little: true,
  machine: 183,
  type: 3,
  interpreter: "/lib/ld-linux-aarch64.so.1",
} as const;

/** A docker CLI over an image held in memory: paths to file bytes or symlink targets. */
function fakeDocker(files: Record<string, Uint8Array | { link: string }>, config: object) {
  const calls: string[][] = [];
  const exec: Exec = async (_file, args) => {
    calls.push([...args]);
    const [verb] = args;
    if (verb === "image") return execResult({ stdout: JSON.stringify(config) });
    if (verb === "cp") {
      const [source = "", to = ""] = args.slice(1);
      const path = source.slice(source.indexOf(":") + 1);
      const found = files[path];
      if (found === undefined)
        return execResult({ exitCode: 1, stderr: `Error: Could not find the file ${path} in container` });
      mkdirSync(dirname(to), { recursive: true });
      if (found instanceof Uint8Array) writeFileSync(to, found);
      else symlinkSync(found.link, to);
      return execResult();
    }
    if (verb === "info") return execResult({ exitCode: 1, stderr: "no info here" });
    return execResult();
  };
  return { exec, calls };
}

describe("explainImage", () => {
  const config = {
    Id: "sha256:abc",
    Os: "linux",
    Architecture: "arm64",
    Variant: "v8",
    Config: { Entrypoint: null, Cmd: ["app"], Env: ["PATH=/usr/local/bin:/usr/bin"], WorkingDir: "/" },
  };

  it("finds a bare command in the image's PATH, follows symlinks inside the image, and looks for the loader there", async () => {
    const { exec, calls } = fakeDocker(
      {
        "/usr/bin/app": { link: "../lib/app/app-1" },
        "/usr/lib/app/app-1": elfFile(AARCH64_DYNAMIC),
        "/lib/ld-linux-aarch64.so.1": { link: "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" },
        "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1": elfFile({ bits: 64, little: true, machine: 183, type: 3 }),
      },
      config,
    );
    const explanation = await explainImage({
      ref: "app:1",
      exec,
      driver: fakeDriver([qemuEntry("aarch64")]),
    });
    expect(explanation.image).toMatchObject({ ref: "app:1", platform: "linux/arm64/v8", cmd: ["app"] });
    expect(explanation.files[0]).toMatchObject({
      path: "app",
      platform: "linux/arm64",
      container: { runs: "yes" },
      ok: true,
    });
    const copied = calls.filter((args) => args[0] === "cp").map((args) => args[1]?.split(":")[1]);
    expect(copied).toEqual([
      "/usr/local/bin/app",
      "/usr/bin/app",
      "/usr/lib/app/app-1",
      "/lib/ld-linux-aarch64.so.1",
      "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
    ]);
    // The created container is removed; it was never started.
    expect(calls.some((args) => args[0] === "rm")).toBe(true);
    expect(calls.some((args) => args[0] === "start" || args[0] === "run")).toBe(false);
  });

  it("a loader missing from the image: no such file or directory, and the container is still removed", async () => {
    const { exec, calls } = fakeDocker({ "/usr/bin/app": elfFile(AARCH64_DYNAMIC) }, config);
    const explanation = await explainImage({ ref: "app:1", exec, driver: fakeDriver([qemuEntry("aarch64")]) });
    expect(explanation.files[0]).toMatchObject({
      container: {
        runs: "no",
        reason: "no such file or directory: its loader /lib/ld-linux-aarch64.so.1 is not in the image app:1",
      },
    });
    expect(calls.at(-1)?.[0]).toBe("rm");
  });

  it("symlinks that loop end with an error naming the path", async () => {
    const { exec, calls } = fakeDocker({ "/a": { link: "/b" }, "/b": { link: "/a" } }, config);
    const explanation = await explainImage({ ref: "app:1", paths: ["/a"], exec, driver: fakeDriver([]) });
    expect(explanation.files[0]).toMatchObject({ error: { code: "QUS_FILE_UNREADABLE" } });
    expect(calls.at(-1)?.[0]).toBe("rm");
  });

  it("another platform than asked is an error before any container is created", async () => {
    const { exec, calls } = fakeDocker({}, config);
    await expect(
      explainImage({ ref: "app:1", platform: "linux/s390x", exec, driver: fakeDriver([]) }),
    ).rejects.toMatchObject({
      code: "QUS_IMAGE_MISSING",
    });
    expect(calls.some((args) => args[0] === "create")).toBe(false);
  });
});
