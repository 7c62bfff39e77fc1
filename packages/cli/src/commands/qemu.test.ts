import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runQus as run } from "../test-support.js";

// `qus qemu ...` and `--qemu-from` through the CLI: only input errors and an empty cache, nothing downloaded.
const cache = mkdtempSync(join(tmpdir(), "qus-cli-qemu-test-"));
const saved = process.env.QUS_QEMU_CACHE;
process.env.QUS_QEMU_CACHE = cache;
afterAll(() => {
  if (saved === undefined) delete process.env.QUS_QEMU_CACHE;
  else process.env.QUS_QEMU_CACHE = saved;
  rmSync(cache, { recursive: true, force: true });
});

describe("qus qemu", () => {
  it("fetch needs --from, and an unknown source is bad input (exit 2)", async () => {
    expect(await run("qemu", "fetch")).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --from/) });
    const fedora = await run("qemu", "fetch", "--from", "fedora:41");
    expect(fedora.code).toBe(2);
    expect(fedora.stderr).toMatch(/QUS_QEMU_SOURCE_UNKNOWN: unknown QEMU source "fedora:41"/);
  });

  it("list says where the cache is when it is empty; --json gives the folder and no entries", async () => {
    expect(await run("qemu", "list")).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`no QEMU in ${cache}`),
    });
    const json = await run("qemu", "list", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ root: cache, cached: [] });
  });

  it("fetch --help shows its usage; `qus qemu` alone is an unknown command", async () => {
    expect(await run("qemu", "fetch", "--help")).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("--mirror"),
    });
    expect((await run("qemu")).code).toBe(2);
  });
});

describe("--qemu-from", () => {
  it("excludes --qemu-path (exit 2) and rejects an unknown source before anything runs", async () => {
    const both = await run("ensure", "--platforms", "arm64", "--qemu-from", "debian:trixie", "--qemu-path", "/usr/bin");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--qemu-from and --qemu-path exclude each other/);
    const unknown = await run("verify", "--platforms", "arm64", "--qemu-from", "debian");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/QUS_QEMU_SOURCE_UNKNOWN/);
  });

  it("goes with the local driver: with --driver docker it is a usage error", async () => {
    const docker = await run("status", "--driver", "docker", "--qemu-from", "debian:trixie");
    expect(docker.code).toBe(2);
    expect(docker.stderr).toMatch(/qus image build --qemu-from/);
  });
});
