import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyBootFiles, giveToSudoUser } from "./create.js";
import { vmName } from "./manifest.js";

/** The temporary folders of this file's tests, removed after each test. */
const made: string[] = [];
function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  made.push(folder);
  return folder;
}
afterEach(() => {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("giveToSudoUser", () => {
  const folder = () => {
    const dir = tempFolder("qus-sudo-");
    writeFileSync(join(dir, "manifest.json"), "{}");
    return dir;
  };

  it("leaves owners alone without sudo, or when sudo's user is root", () => {
    const dir = folder();
    const before = statSync(join(dir, "manifest.json")).uid;
    giveToSudoUser(dir, {});
    giveToSudoUser(dir, { SUDO_UID: "0", SUDO_GID: "0" });
    giveToSudoUser(dir, { SUDO_UID: "x", SUDO_GID: "1" });
    expect(statSync(join(dir, "manifest.json")).uid).toBe(before);
  });

  it("gives the folder and its files to the user who ran sudo", () => {
    const dir = folder();
    const sudo = { SUDO_UID: "65534", SUDO_GID: "65534" };
    if (process.getuid?.() === 0) {
      giveToSudoUser(dir, sudo);
      expect(statSync(dir).uid).toBe(65534);
      expect(statSync(join(dir, "manifest.json")).gid).toBe(65534);
    } else {
      // Only root can give files away: as anyone else the attempt is refused, not ignored.
      expect(() => giveToSudoUser(dir, sudo)).toThrow(/EPERM/);
    }
  });
});

describe("vmName", () => {
  it("takes host-name-like names and refuses others with QUS_USAGE", () => {
    expect(vmName("qus-arm64")).toBe("qus-arm64");
    for (const bad of ["", "-x", "Qus", "a b", "a/b", "x".repeat(64)]) {
      expect(() => vmName(bad)).toThrow(expect.objectContaining({ code: "QUS_USAGE" }));
    }
  });
});

describe("copyBootFiles", () => {
  it("replaces links of an image's own at /boot, /boot/qus and the file names, and writes nothing through them", () => {
    const vm = tempFolder("qus-boot-vm-");
    for (const file of ["vmlinuz", "initrd.img", "manifest.json"]) writeFileSync(join(vm, file), `new ${file}`);
    const outside = tempFolder("qus-boot-outside-");
    writeFileSync(join(outside, "victim"), "untouched");
    for (const links of [
      (root: string) => symlinkSync(outside, join(root, "boot")),
      (root: string) => {
        mkdirSync(join(root, "boot"));
        symlinkSync(outside, join(root, "boot/qus"));
      },
      (root: string) => {
        mkdirSync(join(root, "boot/qus"), { recursive: true });
        symlinkSync(join(outside, "victim"), join(root, "boot/qus/vmlinuz"));
      },
    ]) {
      const root = tempFolder("qus-boot-root-");
      links(root);
      copyBootFiles(vm, root);
      expect(readFileSync(join(root, "boot/qus/vmlinuz"), "utf8")).toBe("new vmlinuz");
      expect(lstatSync(join(root, "boot/qus")).isDirectory()).toBe(true);
      expect(readdirSync(outside)).toEqual(["victim"]);
      expect(readFileSync(join(outside, "victim"), "utf8")).toBe("untouched");
    }
  });
});
