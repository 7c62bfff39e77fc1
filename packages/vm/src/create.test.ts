import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { giveToSudoUser } from "./create.js";
import { vmName } from "./manifest.js";

describe("giveToSudoUser", () => {
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), "qus-sudo-"));
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
