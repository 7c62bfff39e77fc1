import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { exitCodeOf } from "../errors.js";
import { buildProbe } from "../probe/index.js";
import { rejection } from "../test-support.js";
import { listCached } from "./cache.js";
import { fetchQemu, type QemuFetchOptions } from "./fetch.js";

// A stand-in for Debian's archive: a local HTTP server with an unsigned InRelease, a Packages.gz and two .debs made
// with the real dpkg-deb (a transitional qemu-user-static of symlinks, and a qemu-user whose "emulator" is a tiny
// static ELF program). Real fetches of Debian's archive run in e2e/qemu-versions.kernel.test.ts.
const work = mkdtempSync(join(tmpdir(), "qus-qemu-fetch-test-"));
const VERSION = "1:9.9.1+test-1";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function makeDeb(name: string, build: (root: string) => void): Buffer {
  const root = join(work, `${name}-root`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr", "bin"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN", "control"),
    `Package: ${name}\nVersion: ${VERSION}\nArchitecture: amd64\nMaintainer: qus tests <qus@example.invalid>\nDescription: test stand-in\n`,
  );
  build(join(root, "usr", "bin"));
  const file = join(work, `${name}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "--build", root, file], { stdio: "ignore" });
  return readFileSync(file);
}

let server: Server;
let mirror: string;
/** What the stand-in serves, by path; a function answers for itself. */
const routes = new Map<string, Buffer | ((res: import("node:http").ServerResponse) => void)>();
let requests: string[] = [];
let debs: { transitional: Buffer; user: Buffer };

function publish(options: { userDeb?: Buffer; arch?: string } = {}): void {
  routes.clear();
  const pool = "pool/main/q/qemu";
  const user = options.userDeb ?? debs.user;
  const stanza = (name: string, deb: Buffer) =>
    `Package: ${name}\nVersion: ${VERSION}\nArchitecture: amd64\nFilename: ${pool}/${name}.deb\nSize: ${deb.length}\nSHA256: ${sha256(deb)}\nDescription: ${name}\n`;
  const packages = gzipSync(
    Buffer.from(
      [
        "Package: other\nVersion: 1\nArchitecture: amd64\nFilename: x\nSize: 1\nSHA256: 00\n",
        stanza("qemu-user-static", debs.transitional),
        stanza("qemu-user", user),
      ].join("\n"),
    ),
  );
  const arch = options.arch ?? "amd64";
  routes.set(
    "/debian/dists/teststable/InRelease",
    Buffer.from(
      `Codename: teststable\nSHA256:\n ${sha256(packages)} ${packages.length} main/binary-${arch}/Packages.gz\n`,
    ),
  );
  routes.set(`/debian/dists/teststable/main/binary-${arch}/Packages.gz`, packages);
  routes.set(`/debian/${pool}/qemu-user-static.deb`, debs.transitional);
  routes.set(`/debian/${pool}/qemu-user.deb`, user);
}

beforeAll(async () => {
  debs = {
    transitional: makeDeb("qemu-user-static", (bin) => symlinkSync("qemu-aarch64", join(bin, "qemu-aarch64-static"))),
    user: makeDeb("qemu-user", (bin) => {
      writeFileSync(join(bin, "qemu-aarch64"), buildProbe("x86_64"), { mode: 0o755 });
      writeFileSync(join(bin, "qemu-riscv64"), "#!/bin/sh\n", { mode: 0o755 });
      symlinkSync("qemu-aarch64", join(bin, "qemu-arm64"));
    }),
  };
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const route = routes.get(req.url ?? "");
    if (typeof route === "function") return route(res);
    if (!route) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": route.length }).end(route);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

let cacheRoot: string;
beforeEach(() => {
  cacheRoot = mkdtempSync(join(work, "cache-"));
  requests = [];
  publish();
});

const options = (extra: Partial<QemuFetchOptions> = {}): QemuFetchOptions => ({
  source: "debian:teststable",
  mirror,
  arch: "amd64",
  cacheRoot,
  keyring: join(work, "no-keyring.gpg"),
  // The stand-in archive is plain http and unsigned: allowed here, refused by default (tested below).
  allowUnsigned: true,
  ...extra,
});
/** Cache contents: complete folders, and anything else (a partial download must never be left). */
const contents = () => readdirSync(cacheRoot).filter((name) => name !== "suites.json");

// Each test runs dpkg-deb and an HTTP exchange: a generous ceiling on a busy machine, not a timing assertion.
describe("fetchQemu from a stand-in archive", { timeout: 60_000 }, () => {
  it("skips a transitional package of symlinks, keeps only static ELF emulators, named qemu-<cpu>-static", async () => {
    const result = await fetchQemu(options());
    expect(result).toMatchObject({
      source: "debian:teststable",
      package: "qemu-user",
      packageVersion: VERSION,
      emulators: ["qemu-aarch64-static"],
      verifiedBy: "sha256",
      cached: false,
    });
    expect(result.warnings.join("\n")).toMatch(/signature was not checked/);
    expect(readdirSync(result.folder).sort()).toEqual(["qemu-aarch64-static", "qus-qemu.json"]);
    expect(result.folder.startsWith(cacheRoot)).toBe(true);
    expect(result.folder).not.toContain(":");
    expect(listCached(cacheRoot).map((entry) => entry.packageVersion)).toEqual([VERSION]);
  });

  it("a second fetch of the same source is a cache hit that asks the network nothing", async () => {
    const first = await fetchQemu(options());
    requests = [];
    routes.clear();
    const second = await fetchQemu(options());
    expect(second).toMatchObject({ folder: first.folder, cached: true });
    expect(requests).toEqual([]);
  });

  it("--refresh asks the archive again, and downloads nothing when the version is the same", async () => {
    await fetchQemu(options());
    requests = [];
    const again = await fetchQemu(options({ refresh: true }));
    expect(again.cached).toBe(true);
    expect(requests.some((url) => url.endsWith(".deb"))).toBe(false);
  });

  it("two racing fetches of one version end with one complete folder and no partial one", async () => {
    const [a, b] = await Promise.all([fetchQemu(options()), fetchQemu(options({ refresh: true }))]);
    expect(a.folder).toBe(b.folder);
    expect(contents()).toEqual([a.folder.slice(cacheRoot.length + 1)]);
  });

  it("a package whose SHA256 is not the index's is refused and nothing is kept", async () => {
    const altered = Buffer.from(debs.user);
    altered.writeUInt8((altered.at(-1) ?? 0) ^ 0xff, altered.length - 1);
    publish();
    routes.set("/debian/pool/main/q/qemu/qemu-user.deb", altered);
    const error = await rejection(fetchQemu(options()));
    expect(error.code).toBe("QUS_QEMU_FETCH_FAILED");
    expect(error.message).toMatch(/SHA256 .* is not the/);
    expect(contents()).toEqual([]);
  });

  it("a download cut off halfway is an error and nothing half-written is kept", async () => {
    routes.set("/debian/pool/main/q/qemu/qemu-user.deb", (res) => {
      res.writeHead(200, { "content-length": debs.user.length });
      res.write(debs.user.subarray(0, debs.user.length >> 1));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await rejection(fetchQemu(options()));
    expect(error.code).toBe("QUS_QEMU_FETCH_FAILED");
    expect(exitCodeOf(error.code)).toBe(3);
    expect(contents()).toEqual([]);
  });

  it("a suite the archive does not have is bad input (exit 2)", async () => {
    const error = await rejection(fetchQemu(options({ source: "debian:nosuchsuite" })));
    expect(error.code).toBe("QUS_QEMU_SOURCE_UNKNOWN");
    expect(error.message).toMatch(/has no suite "nosuchsuite"/);
    expect(exitCodeOf(error.code)).toBe(2);
  });

  it("an unsigned index from a plain-http mirror is refused unless allowed, and nothing is cached", async () => {
    const error = await rejection(fetchQemu(options({ allowUnsigned: false })));
    expect(error.code).toBe("QUS_QEMU_FETCH_FAILED");
    expect(error.message).toMatch(/cannot check the signature .* plain http: nothing vouches/);
    expect(contents()).toEqual([]);
  });

  it("a mirror that answers one suite with another's index is refused", async () => {
    routes.set(
      "/debian/dists/otherstable/InRelease",
      routes.get("/debian/dists/teststable/InRelease") ?? Buffer.from(""),
    );
    const error = await rejection(fetchQemu(options({ source: "debian:otherstable" })));
    expect(error.message).toMatch(/answered debian:otherstable with the index of teststable/);
    expect(contents()).toEqual([]);
  });

  it("a suite without packages for this architecture says so (exit 3)", async () => {
    publish({ arch: "s390x" });
    const error = await rejection(fetchQemu(options()));
    expect(error.code).toBe("QUS_QEMU_PACKAGE_MISSING");
    expect(error.message).toMatch(/no packages for amd64/);
    expect(exitCodeOf(error.code)).toBe(3);
  });

  it("a package with no static emulators at all is reported, not cached", async () => {
    publish({ userDeb: debs.transitional });
    const error = await rejection(fetchQemu(options()));
    expect(error.code).toBe("QUS_QEMU_PACKAGE_MISSING");
    expect(error.message).toMatch(/no static QEMU emulators for amd64 \(qemu-user-static .*, qemu-user .* hold none\)/);
    expect(contents()).toEqual([]);
  });

  it("a cache folder that cannot be written is a clear error before any download", async () => {
    const file = join(work, "not-a-folder");
    writeFileSync(file, "");
    const error = await rejection(fetchQemu(options({ cacheRoot: join(file, "qemu") })));
    expect(error.code).toBe("QUS_QEMU_CACHE_UNWRITABLE");
    expect(error.hint).toMatch(/QUS_QEMU_CACHE/);
    expect(requests).toEqual([]);
  });

  it("an unknown source or a mirror that is not a URL is refused before any download", async () => {
    expect((await rejection(fetchQemu(options({ source: "fedora:41" })))).code).toBe("QUS_QEMU_SOURCE_UNKNOWN");
    expect((await rejection(fetchQemu(options({ mirror: "ftp://example.invalid" })))).code).toBe("QUS_USAGE");
    expect(requests).toEqual([]);
    expect(existsSync(join(cacheRoot, "suites.json"))).toBe(false);
  });
});
