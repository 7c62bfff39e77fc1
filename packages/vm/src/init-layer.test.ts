import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InitLayerFilter } from "./image-export.js";
import { ImageOwnFiles, SHADOWED_PATHS } from "./init-layer.js";
import { SparseFiles } from "./sparse-files.js";
import { type TarHeader, TarParser } from "./tar-stream.js";

const scratch = mkdtempSync(join(tmpdir(), "qus-init-layer-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
/** A folder with `files` (a string is a file, `{ link }` a symlink, `null` a folder), archived by GNU tar. */
function tarOf(files: Record<string, string | { link: string } | null>, format = "gnu"): Buffer {
  const root = join(scratch, `tree-${++count}`);
  mkdirSync(root);
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (content === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(join(full, ".."), { recursive: true });
    if (typeof content === "string") writeFileSync(full, content);
    else symlinkSync(content.link, full);
  }
  const tar = spawnSync("tar", [`--format=${format}`, "--sort=name", "-C", root, "-cf", "-", "."], {
    maxBuffer: 64 * 2 ** 20,
  });
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
  return tar.stdout;
}

/** `docker save`'s legacy layout: a folder per layer with its layer.tar, and manifest.json naming them in order. */
function savedImage(layers: Buffer[]): Buffer {
  const files: Record<string, string | null> = {};
  const names = layers.map((_, i) => `layer${i}/layer.tar`);
  const root = join(scratch, `save-${++count}`);
  layers.forEach((layer, i) => {
    mkdirSync(join(root, `layer${i}`), { recursive: true });
    writeFileSync(join(root, names[i] as string), layer);
    files[names[i] as string] = "";
  });
  writeFileSync(join(root, "manifest.json"), JSON.stringify([{ Config: "c.json", Layers: names }]));
  writeFileSync(join(root, "c.json"), "{}");
  const tar = spawnSync("tar", ["-C", root, "-cf", "-", "."], { maxBuffer: 64 * 2 ** 20 });
  return tar.stdout;
}

function membersOf(archive: Buffer, chunkSize = 777): { headers: TarHeader[]; data: number; ended: boolean } {
  const headers: TarHeader[] = [];
  let data = 0;
  let ended = false;
  const parser = new TarParser({
    member: (header) => headers.push(header),
    data: (chunk) => {
      data += chunk.length;
    },
    end: () => {
      ended = true;
    },
  });
  for (let at = 0; at < archive.length; at += chunkSize) parser.push(archive.subarray(at, at + chunkSize));
  return { headers, data, ended };
}

/** Extracts an archive with GNU tar and reads back each path: a file's text, a link's target, or "dir". */
function extracted(archive: Buffer, paths: string[]): Record<string, string | undefined> {
  const root = join(scratch, `out-${++count}`);
  mkdirSync(root);
  const tar = spawnSync("tar", ["-C", root, "-xf", "-"], { input: archive });
  if (tar.status !== 0) throw new Error(`tar -x: ${tar.stderr}`);
  const seen: Record<string, string | undefined> = {};
  for (const path of paths) {
    const full = join(root, path);
    const stat = spawnSync("stat", ["-c", "%F", full], { encoding: "utf8" }).stdout.trim();
    seen[path] =
      stat === "symbolic link"
        ? `-> ${spawnSync("readlink", [full], { encoding: "utf8" }).stdout.trim()}`
        : stat === "directory"
          ? "dir"
          : stat
            ? readFileSync(full, "utf8")
            : undefined;
  }
  return seen;
}

describe("TarParser", () => {
  it("reads GNU and pax archives in any chunking: paths (long ones too), types, sizes, the end", () => {
    const long = `${"d".repeat(120)}/${"f".repeat(120)}`;
    for (const format of ["gnu", "pax", "ustar"]) {
      const files = format === "ustar" ? { "a/b.txt": "hello" } : { "a/b.txt": "hello", [long]: "x".repeat(1000) };
      const archive = tarOf(files, format);
      for (const chunkSize of [1, 511, 512, 4096, archive.length]) {
        const { headers, ended } = membersOf(archive, chunkSize);
        const byPath = new Map(headers.map((header) => [header.path, header]));
        expect(ended).toBe(true);
        expect(byPath.get("a/b.txt")).toMatchObject({ type: "0", size: 5 });
        expect(byPath.get("a")).toMatchObject({ type: "5", size: 0 });
        if (format !== "ustar") expect(byPath.get(long)).toMatchObject({ type: "0", size: 1000 });
      }
    }
  });

  it("refuses what is not a tar archive", () => {
    expect(() => membersOf(Buffer.from("x".repeat(2048)))).toThrow(/not a tar stream/);
  });
});

describe("the image's own files at the init layer's paths", () => {
  it("the init layer's paths and their folders, parents first", () => {
    expect(SHADOWED_PATHS).toEqual([
      "dev",
      "dev/pts",
      "dev/shm",
      "proc",
      "sys",
      ".dockerenv",
      "etc",
      "etc/resolv.conf",
      "etc/hosts",
      "etc/hostname",
      "dev/console",
      "etc/mtab",
    ]);
  });

  it("resolves each path through the layers, top first: replaced, whited out, hidden by an opaque folder", () => {
    const bottom = tarOf({
      "etc/hosts": "bottom hosts\n",
      "etc/hostname": "bottom name\n",
      "etc/resolv.conf": "nameserver 192.0.2.1\n",
      "dev/shm/keep": "x",
      proc: null,
    });
    const top = tarOf({
      "etc/hosts": "top hosts\n",
      "etc/.wh.hostname": "",
      "etc/mtab": { link: "/proc/self/mounts" },
      "dev/shm/.wh..wh..opq": "",
    });
    const own = new ImageOwnFiles();
    const saved = savedImage([bottom, top]);
    for (let at = 0; at < saved.length; at += 1000) own.push(saved.subarray(at, at + 1000));
    const paths = own.result().map((member) => member.path);
    expect(paths).toEqual(["dev", "dev/shm", "proc", "etc", "etc/resolv.conf", "etc/hosts", "etc/mtab"]);
    const merged = Buffer.concat([...own.result().map((member) => member.bytes), Buffer.alloc(1024)]);
    expect(extracted(merged, ["etc/hosts", "etc/resolv.conf", "etc/mtab", "etc/hostname", "proc"])).toEqual({
      "etc/hosts": "top hosts\n",
      "etc/resolv.conf": "nameserver 192.0.2.1\n",
      "etc/mtab": "-> /proc/self/mounts",
      "etc/hostname": undefined,
      proc: "dir",
    });
  });

  it("the export filter: Docker's placeholders out, the image's own in, everything else byte for byte", async () => {
    const image = tarOf({ "etc/hosts": "image hosts\n", "etc/passwd": "root:x:0:0\n", "bin/app": "app" });
    const own = new ImageOwnFiles();
    own.push(savedImage([image]));
    // What docker export gives for that image: the init layer's empty files and folders over it.
    const exported = tarOf({
      "etc/hosts": "",
      "etc/hostname": "",
      "etc/resolv.conf": "",
      "etc/passwd": "root:x:0:0\n",
      "bin/app": "app",
      ".dockerenv": "",
      "dev/console": "",
      "dev/pts": null,
      "dev/shm": null,
      proc: null,
      sys: null,
      "etc/mtab": { link: "/proc/mounts" },
    });
    const failures: unknown[] = [];
    const filter = new InitLayerFilter(own.result(), (error) => failures.push(error));
    const out: Buffer[] = [];
    filter.on("data", (chunk: Buffer) => out.push(chunk));
    const done = new Promise((resolve) => filter.on("end", resolve));
    for (let at = 0; at < exported.length; at += 3000) filter.write(exported.subarray(at, at + 3000));
    filter.end();
    await done;
    expect(failures).toEqual([]);
    expect(filter.complete).toBe(true);
    const paths = ["etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/passwd", "bin/app", ".dockerenv", "proc"];
    expect(extracted(Buffer.concat(out), [...paths, "dev", "etc/mtab", "sys"])).toEqual({
      "etc/hosts": "image hosts\n",
      "etc/hostname": undefined,
      "etc/resolv.conf": undefined,
      "etc/passwd": "root:x:0:0\n",
      "bin/app": "app",
      ".dockerenv": undefined,
      proc: undefined,
      dev: undefined,
      "etc/mtab": undefined,
      sys: undefined,
    });
  });
});

describe("large files keep their holes", () => {
  it("a sparse file, its hard link and its mode come out whole, taking only the blocks that hold data", async () => {
    const root = join(scratch, `sparse-src-${++count}`);
    mkdirSync(root);
    const big = join(root, "big.img");
    // 64 MiB, of which one 4 KiB block near the middle and the last 3 bytes hold data.
    spawnSync("truncate", ["-s", "64M", big]);
    const middle = Buffer.alloc(4096, 0x41);
    const fd = openSync(big, "r+");
    writeSync(fd, middle, 0, middle.length, 32 * 2 ** 20 + 100);
    writeSync(fd, Buffer.from("end"), 0, 3, 64 * 2 ** 20 - 3);
    closeSync(fd);
    chmodSync(big, 0o4750);
    linkSync(big, join(root, "again.img"));
    writeFileSync(join(root, "small"), "small\n");
    // As docker export writes it: every byte, holes included.
    const exported = spawnSync("tar", ["--format=gnu", "-C", root, "-cf", "-", "."], {
      maxBuffer: 256 * 2 ** 20,
    }).stdout;
    expect(exported.length).toBeGreaterThan(64 * 2 ** 20);

    const out = join(scratch, `sparse-out-${++count}`);
    const side = `${out}.sparse`;
    mkdirSync(out);
    mkdirSync(side);
    const sparse = new SparseFiles(side);
    const filter = new InitLayerFilter([], () => {}, sparse);
    const tar = spawn("tar", ["-C", out, "-xpf", "-"], { stdio: ["pipe", "ignore", "inherit"] });
    const exited = new Promise((resolve) => tar.on("close", resolve));
    filter.pipe(tar.stdin);
    for (let at = 0; at < exported.length; at += 1_000_000) filter.write(exported.subarray(at, at + 1_000_000));
    filter.end();
    expect(await exited).toBe(0);
    sparse.apply(out);

    expect(spawnSync("cmp", [big, join(out, "big.img")]).status).toBe(0);
    expect(readFileSync(join(out, "small"), "utf8")).toBe("small\n");
    const placed = statSync(join(out, "big.img"));
    expect(placed.mode & 0o7777).toBe(0o4750);
    expect(placed.blocks * 512).toBeLessThan(2 ** 20);
    expect(statSync(join(out, "again.img")).ino).toBe(placed.ino);
    // GNU tar keeps whole seconds.
    expect(placed.mtimeMs / 1000).toBe(Math.floor(statSync(big).mtimeMs / 1000));
  });

  it("a member whose path climbs out of the root is never taken, so nothing is written outside it", () => {
    const side = mkdtempSync(join(scratch, "side-"));
    const sparse = new SparseFiles(side);
    const raw = Buffer.alloc(512, 1);
    const header = { path: "../escape.img", type: "0", size: 2 ** 21, raw, linkpath: "", pax: {}, mtime: 0 };
    expect(sparse.begin(header)).toBe(raw);
    expect(sparse.taking).toBe(false);
  });
});
