import { describe, expect, it } from "vitest";
import { main } from "../main.js";

function io() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: {},
    },
  };
}

describe("qus explain's arguments", () => {
  it("takes files as arguments; a file that is not ELF exits 2, named", async () => {
    const { out, io: streams } = io();
    const code = await main(["explain", "package.json"], streams);
    expect(code).toBe(2);
    expect(out.stdout).toContain("error QUS_NOT_ELF: package.json: not an ELF file");
  });

  it.each([
    ["no file and no --image", ["explain"]],
    ["--platform without --image", ["explain", "/bin/ls", "--platform", "linux/arm64"]],
    ["--driver docker for files", ["explain", "/bin/ls", "--driver", "docker"]],
    ["--image with --driver podman", ["explain", "--image", "debian:bookworm", "--driver", "podman"]],
  ])("%s is a usage error (exit 2)", async (_, argv) => {
    const { out, io: streams } = io();
    expect(await main(argv, streams)).toBe(2);
    expect(out.stderr).toContain("QUS_USAGE");
  });

  it("other commands still refuse arguments that are not options", async () => {
    const { out, io: streams } = io();
    expect(await main(["status", "arm64"], streams)).toBe(2);
    expect(out.stderr).toContain("QUS_USAGE");
  });
});
