import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { interpreterBase, type QemuCpu, requireTarget, TARGETS } from "../targets.js";
import { buildExitProgram, buildProbe, PROBE_CPUS } from "./index.js";

/** Decodes a binfmt_misc `\xNN` escaped string to bytes. */
function decode(escaped: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; ) {
    if (escaped.startsWith("\\x", i)) {
      bytes.push(Number.parseInt(escaped.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      bytes.push(escaped.charCodeAt(i));
      i += 1;
    }
  }
  return Uint8Array.from(bytes);
}

/** Whether the file starts with `magic` under `mask`, as binfmt_misc matches at offset 0. */
function matches(file: Uint8Array, magic: string, mask: string): boolean {
  const m = decode(magic);
  const k = decode(mask);
  return file.length >= m.length && m.every((byte, i) => ((file[i] ?? 0) & (k[i] ?? 0)) === (byte & (k[i] ?? 0)));
}

// x86_64 runs natively on this machine; everything else through Debian's qemu-user-static (i386 and i486 too: some
// x86_64 kernels cannot run them), each under the emulator QEMU's script registers for it (qemu-i386 for i486).
const NATIVE = new Set<QemuCpu>(["x86_64"]);

const dir = mkdtempSync(join(tmpdir(), "qus-probe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the program to a temp file (0755), runs it, returns the exit status or a description of what went wrong. */
function run(cpu: QemuCpu, program: Uint8Array, name: string): number | string {
  const file = join(dir, `${cpu}-${name}`);
  writeFileSync(file, program, { mode: 0o755 });
  const qemu = `/usr/bin/${interpreterBase(requireTarget(cpu))}-static`;
  if (!NATIVE.has(cpu) && !existsSync(qemu)) throw new Error(`${qemu} is missing: install qemu-user-static`);
  const result = NATIVE.has(cpu)
    ? spawnSync(file, [], { timeout: 10_000 })
    : spawnSync(qemu, [file], { timeout: 10_000 });
  if (result.error) return `spawn failed: ${result.error.message}`;
  return result.status ?? `killed by ${result.signal}: ${result.stderr.toString().trim()}`;
}

describe("probes", () => {
  it("exist for every target", () => {
    expect([...PROBE_CPUS].sort()).toEqual(TARGETS.map((t) => t.cpu).sort());
  });

  it("are memoized, and copies", () => {
    const a = buildProbe("aarch64");
    a[0] = 0;
    expect(buildProbe("aarch64")[0]).toBe(0x7f);
  });

  it("reject an exit status outside 0..255", () => {
    expect(() => buildExitProgram("arm", 256)).toThrow(RangeError);
    expect(() => buildExitProgram("arm", -1)).toThrow(RangeError);
  });

  describe.each(TARGETS.map((t) => [t.cpu, t] as const))("%s", (cpu, target) => {
    const probe = buildProbe(cpu);

    it("matches its own binfmt magic and no other target's", () => {
      expect(matches(probe, target.magic, target.mask)).toBe(true);
      const others = TARGETS.filter((t) => t.cpu !== cpu && matches(probe, t.magic, t.mask)).map((t) => t.cpu);
      expect(others).toEqual([]);
    });

    it("is at most 256 bytes", () => {
      expect(probe.length).toBeLessThanOrEqual(256);
    });

    it("exits 0 when run under Debian's qemu-user-static, and exactly the status asked for when told to", () => {
      expect(run(cpu, probe, "probe")).toBe(0);
      expect(run(cpu, buildExitProgram(cpu, 42), "exit42")).toBe(42);
      expect(run(cpu, buildExitProgram(cpu, 3), "exit3")).toBe(3);
      expect(run(cpu, buildExitProgram(cpu, 255), "exit255")).toBe(255);
    });
  });
});
