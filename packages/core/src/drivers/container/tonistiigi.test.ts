import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isQusError } from "../../errors.js";
import { TARGETS, type Target, targetByCpu } from "../../targets.js";
import {
  parseTonistiigiInstallLines,
  parseTonistiigiStatus,
  TONISTIIGI_IMAGE,
  tonistiigiArch,
  tonistiigiInstallCommand,
  tonistiigiSupports,
  tonistiigiUninstallCommand,
} from "./tonistiigi.js";

const FIXTURES = new URL("../../../test-fixtures/tonistiigi-binfmt/", import.meta.url);

/** A recorded output, without its `# source:` header line. */
function recorded(name: string): string {
  const text = readFileSync(new URL(name, FIXTURES), "utf8");
  return text
    .split("\n")
    .filter((line) => !line.startsWith("# "))
    .join("\n");
}

function target(cpu: string): Target {
  const found = targetByCpu(cpu);
  if (!found) throw new Error(`no target ${cpu}`);
  return found;
}

// cmd/binfmt/config.go: the architecture names binfmt registers, keyed as Go's GOARCH.
const BINFMT_ARCHS = new Set([
  "amd64",
  "arm64",
  "arm",
  "s390x",
  "ppc64le",
  "riscv64",
  "386",
  "mips64le",
  "mips64",
  "loong64",
  "armbe",
  "sparc64",
  "ppc64",
  "mips",
  "mipsle",
]);

describe("tonistiigi/binfmt (recorded outputs: the image cannot be pulled here)", () => {
  it("pins a release tag, not latest", () => {
    expect(TONISTIIGI_IMAGE).toMatch(/^tonistiigi\/binfmt:qemu-v\d+\.\d+\.\d+-\d+$/);
  });

  describe("argv", () => {
    it("installs by binfmt's architecture names, comma-separated", () => {
      expect(tonistiigiInstallCommand([target("aarch64"), target("riscv64"), target("arm")])).toEqual([
        "--install",
        "arm64,riscv64,arm",
      ]);
      expect(tonistiigiInstallCommand([target("x86_64"), target("i386"), target("loongarch64")])).toEqual([
        "--install",
        "amd64,386,loong64",
      ]);
    });

    it.each(TARGETS.filter(tonistiigiSupports).map((t) => [t.cpu, t] as const))(
      "%s has a name binfmt knows",
      (_, t) => {
        expect(BINFMT_ARCHS).toContain(tonistiigiArch(t));
      },
    );

    it("supports exactly the targets whose names binfmt knows (QEMU's others are not in its image)", () => {
      expect(TARGETS.filter(tonistiigiSupports)).toHaveLength(BINFMT_ARCHS.size);
      expect(TARGETS.filter((t) => !tonistiigiSupports(t)).every((t) => !BINFMT_ARCHS.has(tonistiigiArch(t)))).toBe(
        true,
      );
    });

    it("names big-endian arm and the mips family as Go does", () => {
      expect(["armeb", "mips", "mipsel", "mips64el"].map((cpu) => tonistiigiArch(target(cpu)))).toEqual([
        "armbe",
        "mips",
        "mipsle",
        "mips64le",
      ]);
    });

    it("refuses an empty install", () => {
      expect(() => tonistiigiInstallCommand([])).toThrow(/no targets/);
    });

    it("uninstalls entries by name, globs allowed", () => {
      expect(tonistiigiUninstallCommand(["qemu-aarch64", "qemu-riscv64"])).toEqual([
        "--uninstall",
        "qemu-aarch64,qemu-riscv64",
      ]);
      expect(tonistiigiUninstallCommand(["qemu-*"])).toEqual(["--uninstall", "qemu-*"]);
    });

    it("refuses names that would split or escape the binfmt_misc folder", () => {
      for (const names of [[], [""], ["a,b"], ["../status"], ["qemu aarch64"]]) {
        expect(() => tonistiigiUninstallCommand(names)).toThrow(/not a binfmt_misc entry name/);
      }
    });
  });

  describe("status JSON", () => {
    it("reads the status printed with no flags (README)", () => {
      const status = parseTonistiigiStatus(recorded("status.txt"));
      expect(status.supported).toEqual([
        "linux/amd64",
        "linux/arm64",
        "linux/riscv64",
        "linux/ppc64le",
        "linux/s390x",
        "linux/386",
        "linux/arm/v7",
        "linux/arm/v6",
      ]);
      expect(status.emulators).toContain("qemu-aarch64");
      expect(status.emulators).toHaveLength(6);
    });

    it("takes the JSON after the installing: lines", () => {
      const status = parseTonistiigiStatus(recorded("install-ok.txt"));
      expect(status.supported[0]).toBe("linux/arm/v7");
      expect(status.emulators).toContain("qemu-x86_64");
    });

    it("ignores the source header and any text before the JSON", () => {
      const raw = readFileSync(new URL("status.txt", FIXTURES), "utf8");
      expect(parseTonistiigiStatus(raw)).toEqual(parseTonistiigiStatus(recorded("status.txt")));
    });

    it("takes the last JSON object when there are several", () => {
      const twice = `${recorded("install-ok.txt")}\n${recorded("install-failed.txt")}`;
      expect(parseTonistiigiStatus(twice).supported).toContain("linux/mips64");
    });

    it('reads "emulators": null (no entry enabled) as none', () => {
      // Go marshals a nil slice as null: printStatus starts from `var emulators []string`.
      const status = parseTonistiigiStatus('{\n  "supported": [\n    "linux/amd64"\n  ],\n  "emulators": null\n}\n');
      expect(status).toEqual({ supported: ["linux/amd64"], emulators: [] });
    });

    it("fails with binfmt's error when it printed no status (mount failure, issue #162)", () => {
      const output = [
        "error: no such device",
        "cannot mount binfmt_misc filesystem at /proc/sys/fs/binfmt_misc",
        "main.run",
        "\t/src/cmd/binfmt/main.go:183",
        "main.main",
        "\t/src/cmd/binfmt/main.go:170",
      ].join("\n");
      let thrown: unknown;
      try {
        parseTonistiigiStatus(output);
      } catch (error) {
        thrown = error;
      }
      expect(isQusError(thrown) && thrown.code).toBe("QUS_EXEC_FAILED");
      expect((thrown as Error).message).toContain("error: no such device");
    });
  });

  describe("installing: lines", () => {
    it("reads a successful install", () => {
      const lines = parseTonistiigiInstallLines(recorded("install-ok.txt"));
      expect(lines.map((line) => line.platform)).toEqual([
        "arm64",
        "ppc64le",
        "riscv64",
        "386",
        "mips64",
        "amd64",
        "s390x",
        "mips64le",
      ]);
      expect(lines.every((line) => line.ok && line.message === "OK")).toBe(true);
    });

    it("detects a failed install as not ok, though binfmt exits 0 and still prints its status", () => {
      const output = recorded("install-failed.txt");
      expect(parseTonistiigiInstallLines(output)).toEqual([
        {
          platform: "arm64",
          ok: false,
          message:
            'cannot register "/usr/bin/qemu-aarch64" to /proc/sys/fs/binfmt_misc/register: write /proc/sys/fs/binfmt_misc/register: no such file or directory',
        },
      ]);
      // The status that follows is well-formed and simply lacks the entry.
      expect(parseTonistiigiStatus(output).emulators).not.toContain("qemu-aarch64");
    });

    it("treats an entry already registered as not ok, and skips uninstalling: lines", () => {
      const output = [
        "uninstalling: qemu-riscv64 OK",
        "installing: arm64 qemu-aarch64 already registered",
        "installing: riscv64 OK\r",
      ].join("\n");
      expect(parseTonistiigiInstallLines(output)).toEqual([
        { platform: "arm64", ok: false, message: "qemu-aarch64 already registered" },
        { platform: "riscv64", ok: true, message: "OK" },
      ]);
    });
  });
});
