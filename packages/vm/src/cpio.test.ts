import { describe, expect, it } from "vitest";
import { type CpioMember, cpioOf } from "./cpio.js";

// The archive is parsed back by a small newc reader written here, independent of the writer.
// (Neither GNU cpio nor busybox is assumed: the reader below checks the format byte by byte.)

interface Entry {
  readonly offset: number;
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly size: number;
  readonly devmajor: number;
  readonly devminor: number;
  readonly rdevmajor: number;
  readonly rdevminor: number;
  readonly check: number;
  readonly name: string;
  readonly data: Buffer;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Every record of a newc archive, the trailer included; throws on anything that is not newc. */
function readCpio(archive: Buffer): Entry[] {
  const entries: Entry[] = [];
  let offset = 0;
  for (;;) {
    if (offset % 4 !== 0) throw new Error(`record at ${offset} is not 4-byte aligned`);
    if (offset + 110 > archive.length) throw new Error(`archive ends inside a header at ${offset}`);
    const magic = archive.toString("ascii", offset, offset + 6);
    if (magic !== "070701") throw new Error(`bad magic ${JSON.stringify(magic)} at ${offset}`);
    const fields: number[] = [];
    for (let i = 0; i < 13; i++) {
      const hex = archive.toString("ascii", offset + 6 + i * 8, offset + 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new Error(`field ${i} at ${offset} is not hex: ${hex}`);
      fields.push(Number.parseInt(hex, 16));
    }
    const [ino, mode, uid, gid, nlink, mtime, size, devmajor, devminor, rdevmajor, rdevminor, namesize, check] =
      fields as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
    const nameStart = offset + 110;
    const nameBytes = archive.subarray(nameStart, nameStart + namesize);
    if (nameBytes.length !== namesize || nameBytes[namesize - 1] !== 0) {
      throw new Error(`name at ${offset} is not NUL-terminated`);
    }
    const name = nameBytes.subarray(0, namesize - 1).toString("utf8");
    const namePadding = archive.subarray(nameStart + namesize, align4(nameStart + namesize));
    if (namePadding.some((byte) => byte !== 0)) throw new Error(`non-zero padding after the name at ${offset}`);
    const dataStart = align4(nameStart + namesize);
    const data = archive.subarray(dataStart, dataStart + size);
    if (data.length !== size) throw new Error(`archive ends inside the data of ${name}`);
    const dataPadding = archive.subarray(dataStart + size, align4(dataStart + size));
    if (dataPadding.some((byte) => byte !== 0)) throw new Error(`non-zero padding after the data of ${name}`);
    entries.push({
      offset,
      ino,
      mode,
      uid,
      gid,
      nlink,
      mtime,
      size,
      devmajor,
      devminor,
      rdevmajor,
      rdevminor,
      check,
      name,
      data: Buffer.from(data),
    });
    offset = align4(dataStart + size);
    if (name === "TRAILER!!!") break;
  }
  if (offset !== archive.length) throw new Error(`${archive.length - offset} bytes after the trailer`);
  return entries;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const MEMBERS: CpioMember[] = [
  { path: "bin", type: "dir", mode: 0o755 },
  { path: "bin/busybox", type: "file", mode: 0o755, data: Buffer.from("\x7fELF fake busybox") },
  { path: "bin/sh", type: "symlink", target: "busybox" },
  { path: "etc", type: "dir", mode: 0o700 },
  { path: "etc/empty", type: "file", mode: 0o644, data: new Uint8Array(0) },
  { path: "etc/one", type: "file", mode: 0o600, data: Buffer.from("a") },
  { path: "etc/two", type: "file", mode: 0o600, data: Buffer.from("ab") },
  { path: "etc/three", type: "file", mode: 0o600, data: Buffer.from("abc") },
  { path: "etc/four", type: "file", mode: 0o600, data: Buffer.from("abcd") },
  { path: "etc/five", type: "file", mode: 0o600, data: Buffer.from("abcde") },
  { path: "lib/modules/virtio.ko", type: "file", mode: 0o644, data: Buffer.from([0, 1, 2, 255, 254]) },
  { path: "lib/link-to-abs", type: "symlink", target: "/lib/modules/virtio.ko" },
];

describe("cpioOf: the newc archive parses back", () => {
  it("gives every member in order, then the TRAILER!!! record, each record 4-byte aligned", () => {
    const archive = cpioOf(MEMBERS);
    expect(archive.length % 4).toBe(0);
    const entries = readCpio(archive);
    expect(entries.map((entry) => entry.name)).toEqual([...MEMBERS.map((member) => member.path), "TRAILER!!!"]);
    // readCpio reads each name and each file's data at the next multiple of 4, so a missing pad fails it.
    for (const entry of entries) expect(entry.offset % 4).toBe(0);
  });

  it("writes the type bits, permission bits, sizes and contents of files", () => {
    const entries = readCpio(cpioOf(MEMBERS));
    for (const member of MEMBERS) {
      const entry = entries.find((candidate) => candidate.name === member.path);
      expect(entry, member.path).toBeDefined();
      if (!entry) continue;
      if (member.type === "dir") {
        expect(entry.mode).toBe(S_IFDIR | member.mode);
        expect(entry.size).toBe(0);
        expect(entry.nlink).toBe(2);
      } else if (member.type === "file") {
        expect(entry.mode).toBe(S_IFREG | member.mode);
        expect(entry.size).toBe(member.data.length);
        expect(entry.data.equals(Buffer.from(member.data))).toBe(true);
        expect(entry.nlink).toBe(1);
      } else {
        expect(entry.mode).toBe(S_IFLNK | 0o777);
        expect(entry.size).toBe(Buffer.byteLength(member.target));
        expect(entry.data.toString("utf8")).toBe(member.target);
      }
    }
  });

  it("symbolic links carry their target as data", () => {
    const entries = readCpio(cpioOf(MEMBERS));
    expect(entries.find((entry) => entry.name === "bin/sh")?.data.toString()).toBe("busybox");
    expect(entries.find((entry) => entry.name === "lib/link-to-abs")?.data.toString()).toBe("/lib/modules/virtio.ko");
  });

  it("owns everything by root at the epoch, no devices, no checksum; inodes unique and non-zero", () => {
    const entries = readCpio(cpioOf(MEMBERS));
    const members = entries.filter((entry) => entry.name !== "TRAILER!!!");
    for (const entry of entries) {
      expect([entry.uid, entry.gid, entry.mtime, entry.check]).toEqual([0, 0, 0, 0]);
      expect([entry.devmajor, entry.devminor, entry.rdevmajor, entry.rdevminor]).toEqual([0, 0, 0, 0]);
    }
    const inodes = members.map((entry) => entry.ino);
    expect(new Set(inodes).size).toBe(inodes.length);
    expect(inodes.every((ino) => ino > 0)).toBe(true);
  });

  it("ends with a TRAILER!!! record of size 0 and nothing after it", () => {
    const archive = cpioOf(MEMBERS);
    const entries = readCpio(archive);
    const trailer = entries.at(-1);
    expect(trailer).toMatchObject({ name: "TRAILER!!!", size: 0, mode: 0 });
    expect(archive.subarray(trailer?.offset).toString("latin1")).toMatch(/^070701[0-9a-f]{104}TRAILER!!!\0+$/);
  });

  it("an empty member list is just the trailer", () => {
    const entries = readCpio(cpioOf([]));
    expect(entries.map((entry) => entry.name)).toEqual(["TRAILER!!!"]);
  });

  it("strips leading slashes (the kernel unpacks relative to /), keeps UTF-8 names by their byte length", () => {
    const entries = readCpio(
      cpioOf([
        { path: "/etc", type: "dir", mode: 0o755 },
        { path: "//etc/données-日本", type: "file", mode: 0o644, data: Buffer.from("x") },
      ]),
    );
    expect(entries.map((entry) => entry.name)).toEqual(["etc", "etc/données-日本", "TRAILER!!!"]);
  });

  it("keeps setuid/setgid/sticky bits but no stray type bits from the mode", () => {
    const entries = readCpio(
      cpioOf([
        { path: "su", type: "file", mode: 0o104755, data: Buffer.from("x") },
        { path: "tmp", type: "dir", mode: 0o1777 },
        { path: "sgid", type: "file", mode: 0o2711, data: Buffer.from("") },
      ]),
    );
    expect(entries[0]?.mode).toBe(S_IFREG | 0o4755);
    expect(entries[1]?.mode).toBe(S_IFDIR | 0o1777);
    expect(entries[2]?.mode).toBe(S_IFREG | 0o2711);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 109, 110, 111, 112, 113])(
    "a file of %i bytes keeps the next record aligned",
    (length) => {
      const data = Buffer.alloc(length, 0x61);
      for (const name of ["a", "ab", "abc", "abcd"]) {
        const entries = readCpio(
          cpioOf([
            { path: name, type: "file", mode: 0o644, data },
            { path: "next", type: "symlink", target: "a" },
          ]),
        );
        expect(entries.map((entry) => entry.name)).toEqual([name, "next", "TRAILER!!!"]);
        expect(entries[0]?.data.equals(data)).toBe(true);
        expect(entries[1]?.data.toString()).toBe("a");
      }
    },
  );

  it("is deterministic: the same members give the same bytes", () => {
    expect(cpioOf(MEMBERS).equals(cpioOf(MEMBERS))).toBe(true);
  });
});
