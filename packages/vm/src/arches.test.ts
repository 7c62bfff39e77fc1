import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolvePlatforms } from "@qus/core";
import { canonicalPlatform } from "@qus/core/toolkit";
import { afterAll, describe, expect, it } from "vitest";
import { VM_ARCHES, vmArch } from "./arches.js";
import { canUseKvm } from "./start.js";
import { qusErrorOf } from "./test-support.js";

describe("vmArch", () => {
  it.each<[string, string]>([
    ["arm64", "arm64"],
    ["armhf", "armhf"],
    ["linux/arm64", "arm64"],
    ["linux/arm/v7", "armhf"],
    ["arm/v7", "armhf"],
    ["aarch64", "arm64"],
    ["arm", "armhf"],
    ["armv7", "armhf"],
    ["ARM64", "arm64"],
    [" Linux/ARM64 ", "arm64"],
    ["\tAArch64\n", "arm64"],
    ["ArmHF", "armhf"],
  ])("%j is %s", (name, debian) => {
    expect(vmArch(name).debian).toBe(debian);
  });

  it.each(VM_ARCHES.map((arch) => [arch.debian, arch] as const))(
    "%s is found by its Debian name, its OCI platform and its uname -m",
    (_, arch) => {
      expect(vmArch(arch.debian)).toBe(arch);
      expect(vmArch(arch.platform)).toBe(arch);
      expect(vmArch(arch.unameMachine)).toBe(arch);
    },
  );

  it.each(["amd64", "x86_64", "linux/amd64", "riscv64", "arm64/v8x", "", "  ", "arm 64"])(
    "%j: QUS_USAGE with a hint listing arm64, armhf",
    (name) => {
      const error = qusErrorOf(() => vmArch(name));
      expect(error.code).toBe("QUS_USAGE");
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.hint).toContain("arm64");
      expect(error.hint).toContain("armhf");
    },
  );

  it("each architecture is keyed by core's target: its Debian name, platform and uname -m are core's", () => {
    expect(VM_ARCHES.map((arch) => arch.target.cpu)).toEqual(["aarch64", "arm"]);
    for (const arch of VM_ARCHES) {
      expect(arch.debian).toBe(arch.target.debianArch);
      expect(arch.platform).toBe(canonicalPlatform(arch.target));
      expect(arch.unameMachine).toBe(arch.target.machines?.[0]);
      // Whatever name core resolves to the target, --arch takes too.
      for (const name of arch.aliases) {
        expect(resolvePlatforms(name)).toEqual([arch.target]);
        expect(vmArch(name)).toBe(arch);
      }
    }
  });

  it("a list or all is not one architecture", () => {
    for (const name of ["arm64,armhf", "all", "arm64 armhf"])
      expect(qusErrorOf(() => vmArch(name)).code).toBe("QUS_USAGE");
  });

  it("each architecture names its emulator, its package and a virt machine", () => {
    for (const arch of VM_ARCHES) {
      expect(arch.qemuSystem).toMatch(/^qemu-system-/);
      expect(arch.qemuPackage).toBe("qemu-system-arm");
      expect(arch.machine).toBe("virt");
      expect(arch.platform).toMatch(/^linux\//);
    }
  });
});

const scratch = mkdtempSync(join(tmpdir(), "qus-vm-kvm-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fakeKvm = join(scratch, "kvm");
writeFileSync(fakeKvm, "");
chmodSync(fakeKvm, 0o666);

describe("canUseKvm", () => {
  it("never for a guest of another architecture than the host's, even with /dev/kvm", () => {
    expect(canUseKvm(vmArch("arm64"), "x64", fakeKvm)).toBe(false);
    expect(canUseKvm(vmArch("armhf"), "x64", fakeKvm)).toBe(false);
    expect(canUseKvm(vmArch("armhf"), "arm64", fakeKvm)).toBe(false);
    expect(canUseKvm(vmArch("arm64"), "arm", fakeKvm)).toBe(false);
    expect(canUseKvm(vmArch("arm64"), "riscv64", fakeKvm)).toBe(false);
  });

  it("not without the KVM device", () => {
    expect(canUseKvm(vmArch("arm64"), "arm64", join(scratch, "no-such-kvm"))).toBe(false);
  });

  it("with a readable and writable KVM device on a host of the guest's architecture", () => {
    expect(canUseKvm(vmArch("arm64"), "arm64", fakeKvm)).toBe(true);
    expect(canUseKvm(vmArch("armhf"), "arm", fakeKvm)).toBe(true);
  });
});
