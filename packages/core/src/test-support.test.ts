import { describe, expect, it } from "vitest";
import { decodeEscaped } from "./binfmt/escape.js";
import type { Registration } from "./binfmt/register.js";
import { type PlanStep, wantedRegistration } from "./plan.js";
import { type FakeMachine, fakeDriver, fakeKernel, qemuEntry, target } from "./test-support.js";

// The fake is only worth its tests if it can fail them: it must refuse exactly what the kernel refuses.
const QEMU = "/usr/bin/qemu-aarch64-static";
const wanted = (fields: Partial<Registration> = {}): Registration => ({
  ...wantedRegistration(target("aarch64"), QEMU, "CF"),
  ...fields,
});
const registered = (registration: Registration, machine: FakeMachine = {}) => {
  const kernel = fakeKernel([], machine);
  kernel.register(registration);
  return kernel;
};
// QEMU's magic names e_type ET_EXEC and its mask ignores e_type's low bit, so ET_DYN matches too. A magic of ET_DYN
// is as good under that mask, but compared on every bit of e_type it misses the probe (ET_EXEC).
const dynMagic = () => {
  const magic = wanted().magic.slice();
  magic[16] = 0x03;
  return magic;
};
const strictMask = () => {
  const mask = wanted().mask?.slice() ?? new Uint8Array();
  mask[16] = 0xff;
  return mask;
};
const step = (registration: Registration): PlanStep => ({
  target: target("aarch64"),
  action: "register",
  remove: [],
  register: registration,
  reasons: [],
});

describe("fakeKernel", () => {
  it("an entry as qus wants it claims its probe and runs it; flags show as the kernel prints them", () => {
    const kernel = registered(wanted());
    expect(kernel.probe("aarch64")).toMatchObject({ ok: true, chrooted: true });
    expect(kernel.entries()[0]).toMatchObject({ name: "qemu-aarch64", flags: "OCF", offset: 0, enabled: true });
    expect(registered(wanted({ flags: "F" })).entries()[0]?.flags).toBe("F");
    expect(registered(wanted({ flags: "POCF" })).entries()[0]?.flags).toBe("POCF");
  });

  it("a wrong magic claims nothing of the target: exec format error", () => {
    const riscv = wantedRegistration(target("riscv64"), QEMU, "CF");
    const kernel = registered(wanted({ magic: riscv.magic, mask: riscv.mask }));
    expect(kernel.probe("aarch64")).toMatchObject({ ok: false, failure: "no-handler" });
    // The riscv64 probe it does claim goes to an aarch64 emulator, which cannot run it.
    expect(kernel.probe("riscv64")).toMatchObject({ ok: false, failure: "exit-status" });
  });

  it("a wrong mask: a magic of ET_DYN compared on every bit of e_type misses the probe (ET_EXEC)", () => {
    const magic = dynMagic();
    expect(registered(wanted({ magic })).probe("aarch64").ok).toBe(true);
    expect(registered(wanted({ magic, mask: strictMask() })).probe("aarch64")).toMatchObject({
      ok: false,
      failure: "no-handler",
    });
    // No mask at all: every bit counts.
    expect(registered(wanted({ magic, mask: undefined })).probe("aarch64").ok).toBe(false);
  });

  it("honours the offset", () => {
    // ELF class 64 and data little-endian at bytes 4 and 5.
    const kernel = registered(wanted({ name: "le64", offset: 4, magic: decodeEscaped("\\x02\\x01"), mask: undefined }));
    expect(kernel.entries()[0]).toMatchObject({ offset: 4 });
    expect(kernel.probe("aarch64").ok).toBe(true);
    expect(kernel.probe("s390x")).toMatchObject({ ok: false, failure: "no-handler" });
  });

  it("a disabled entry claims nothing, and binfmt_misc switched off uses no entry", () => {
    expect(fakeKernel([qemuEntry("aarch64", { enabled: false })]).probe("aarch64")).toMatchObject({
      ok: false,
      failure: "no-handler",
    });
    const enabled = fakeKernel([qemuEntry("aarch64", { enabled: false })]);
    enabled.enable("qemu-aarch64");
    expect(enabled.probe("aarch64").ok).toBe(true);
    expect(fakeKernel([qemuEntry("aarch64")], { binfmtEnabled: false }).probe("aarch64").ok).toBe(false);
  });

  it("without F the interpreter is opened by path at each exec: never inside a chroot, outside only if it exists", () => {
    expect(registered(wanted({ flags: "C" })).probe("aarch64")).toMatchObject({
      ok: false,
      failure: "interpreter-unreachable",
    });
    expect(registered(wanted({ flags: "C" }), { chroot: false }).probe("aarch64")).toMatchObject({
      ok: true,
      chrooted: false,
    });
    const gone = registered(wanted({ flags: "C", interpreter: "/opt/gone/qemu-aarch64" }), { chroot: false });
    expect(gone.probe("aarch64").ok).toBe(false);
  });

  it("with F the kernel opens the interpreter at registration: refused when absent, kept when it goes later", () => {
    expect(() => registered(wanted({ interpreter: "/opt/gone/qemu-aarch64" }))).toThrow(
      expect.objectContaining({ code: "QUS_INTERPRETER_MISSING" }),
    );
    const held = fakeKernel([qemuEntry("aarch64", { interpreter: "/opt/gone/qemu-aarch64" })]);
    expect(held.probe("aarch64").ok).toBe(true);
  });

  it("the newest matching entry takes the program; another cpu's emulator cannot run it", () => {
    const kernel = fakeKernel([qemuEntry("aarch64")]);
    kernel.register({ ...wanted(), name: "aarch64-other", interpreter: "/usr/bin/qemu-riscv64-static" });
    expect(kernel.handlerOf("aarch64")?.name).toBe("aarch64-other");
    expect(kernel.probe("aarch64")).toMatchObject({ ok: false, failure: "exit-status" });
  });

  it("refuses what the kernel and the drivers refuse: a name taken differently, an entry claiming a native cpu", () => {
    const kernel = registered(wanted());
    expect(() => kernel.register(wanted())).not.toThrow();
    expect(() => kernel.register(wanted({ flags: "" }))).toThrow(
      expect.objectContaining({ code: "QUS_KERNEL_WRITE_FAILED" }),
    );
    expect(() => registered(wanted(), { native: ["aarch64"] })).toThrow(
      expect.objectContaining({ code: "QUS_HOST_MATCH" }),
    );
  });
});

describe("fakeDriver", () => {
  it("verifies a registration only when the entry really claims and runs the probe", async () => {
    const riscv = wantedRegistration(target("riscv64"), QEMU, "CF");
    const cases: [string, Registration, boolean][] = [
      ["as wanted", wanted(), true],
      ["wrong magic", wanted({ magic: riscv.magic, mask: riscv.mask }), false],
      ["wrong mask", wanted({ magic: dynMagic(), mask: strictMask() }), false],
      ["no F", wanted({ flags: "C" }), false],
    ];
    for (const [name, registration, ok] of cases) {
      const driver = fakeDriver([]);
      const outcome = await driver.apply([step(registration)], [target("aarch64")]);
      expect([name, outcome.probes.get("aarch64")?.ok]).toEqual([name, ok]);
    }
  });

  it("fails verification of a disabled entry until a step enables it", async () => {
    const steps = (enable?: string): PlanStep[] => [
      { target: target("aarch64"), action: "enable", remove: [], enable, reasons: [] },
    ];
    const disabled = () => fakeDriver([qemuEntry("aarch64", { enabled: false })]);
    const left = await disabled().apply(steps(), [target("aarch64")]);
    expect(left.probes.get("aarch64")).toMatchObject({ ok: false, failure: "no-handler" });
    const enabled = await disabled().apply(steps("qemu-aarch64"), [target("aarch64")]);
    expect(enabled.probes.get("aarch64")?.ok).toBe(true);
  });

  it("inspection probes a disabled entry's platform as unclaimed and an enabled one through the kernel", async () => {
    const driver = fakeDriver([qemuEntry("aarch64", { enabled: false }), qemuEntry("riscv64", { flags: "OC" })]);
    const inspection = await driver.inspect({
      targets: [target("aarch64"), target("riscv64")],
      mount: false,
      verify: true,
    });
    expect(inspection.probes.get("aarch64")).toBeUndefined();
    expect(inspection.probes.get("riscv64")).toMatchObject({ ok: false, failure: "interpreter-unreachable" });
    expect(inspection.interpreters.get("riscv64")?.path).toBe("/usr/bin/qemu-riscv64-static");
  });

  it("finds i486's emulator under qemu-i386's name, and reports no interpreter that is not there", async () => {
    const driver = fakeDriver([], {}, { present: ["/usr/bin/qemu-i386-static"] });
    const inspection = await driver.inspect({ targets: [target("i486"), target("s390x")], mount: false, verify: true });
    expect([...inspection.interpreters]).toEqual([["i486", { path: "/usr/bin/qemu-i386-static", static: true }]]);
  });
});
