import { describe, expect, it } from "vitest";
import { type BinfmtEntry, parseEntry } from "./binfmt/entry.js";
import { parseFlags } from "./binfmt/flags.js";
import { renderRegister } from "./binfmt/register.js";
import { changesKernel, type Interpreter, notQusReasons, type PlanStep, plan, wantedRegistration } from "./plan.js";
import { type QemuCpu, type Target, targetByCpu } from "./targets.js";

const aarch64 = targetByCpu("aarch64") as Target;
const QEMU = "/usr/bin/qemu-aarch64-static";
const FLAGS = parseFlags("FC"); // "CF", as ensure passes them
const MAGIC = "7f454c460201010000000000000000000200b700";
const MASK = "ffffffffffffff00fffffffffffffffffeffffff";
const WANTED_REGISTER = renderRegister(wantedRegistration(aarch64, QEMU, FLAGS));

interface EntryFields {
  enabled?: boolean;
  interpreter?: string;
  flags?: string;
  magic?: string;
  mask?: string;
}

/** An entry as the kernel prints it, by default qemu-aarch64 registered as qus wants it (C shows as OC). */
function entry(name: string, fields: EntryFields = {}): BinfmtEntry {
  const { enabled = true, interpreter = QEMU, flags = "OCF", magic = MAGIC, mask = MASK } = fields;
  const text = `${enabled ? "enabled" : "disabled"}\ninterpreter ${interpreter}\nflags: ${flags}\noffset 0\nmagic ${magic}\nmask ${mask}\n`;
  return parseEntry(name, text);
}

interface Case {
  readonly entries?: readonly BinfmtEntry[];
  readonly native?: boolean;
  /** Whether qemu-aarch64-static is found; true by default. */
  readonly interpreter?: boolean;
  readonly replace?: boolean;
  readonly action: PlanStep["action"];
  readonly remove?: readonly string[];
  /** Whether the wanted entry is registered. */
  readonly register?: boolean;
  readonly enable?: string;
}

function planAarch64(c: Case): PlanStep {
  const interpreters = new Map<QemuCpu, Interpreter>(
    c.interpreter === false ? [] : [["aarch64", { path: QEMU, static: true }]],
  );
  const steps = plan({
    targets: [aarch64],
    entries: c.entries ?? [],
    native: new Set<QemuCpu>(c.native ? ["aarch64"] : []),
    interpreters,
    flags: FLAGS,
    replace: c.replace ?? false,
  });
  expect(steps).toHaveLength(1);
  return steps[0] as PlanStep;
}

const noF = entry("qemu-aarch64", { flags: "OC" });
const otherInterpreter = entry("qemu-aarch64", { interpreter: "/usr/libexec/qemu-binfmt/aarch64-binfmt-P" });
// Counts the low bit of e_type: claims ET_EXEC only, not ET_DYN (static-pie) binaries.
const otherMask = entry("qemu-aarch64", { mask: MASK.replace("fffffffe", "ffffffff") });
const foreign = entry("aarch64-foo", { interpreter: "/opt/foo/qemu-aarch64" });
const unrelated = [
  parseEntry("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n"),
  parseEntry("WSLInterop", "enabled\ninterpreter /init\nflags: PF\noffset 0\nmagic 4d5a\n"),
  entry("qemu-riscv64", { interpreter: "/usr/bin/qemu-riscv64-static", magic: MAGIC.replace("b700", "f300") }),
];

const CASES: Record<string, Case> = {
  "no entry: register": { action: "register", register: true },
  "no entry, unrelated entries only: register": { entries: unrelated, action: "register", register: true },
  "entry as wanted: ok": { entries: [entry("qemu-aarch64")], action: "ok" },
  "entry as wanted, flags written CF: ok": { entries: [entry("qemu-aarch64", { flags: "CF" })], action: "ok" },
  "disabled as wanted: enable": {
    entries: [entry("qemu-aarch64", { enabled: false })],
    action: "enable",
    enable: "qemu-aarch64",
  },
  "entry without F: conflict": { entries: [noF], action: "conflict" },
  "entry without F, --replace: remove and register": {
    entries: [noF],
    replace: true,
    action: "replace",
    remove: ["qemu-aarch64"],
    register: true,
  },
  "entry with another interpreter: conflict": { entries: [otherInterpreter], action: "conflict" },
  "entry with another interpreter, --replace: remove and register": {
    entries: [otherInterpreter],
    replace: true,
    action: "replace",
    remove: ["qemu-aarch64"],
    register: true,
  },
  "entry with another mask: conflict": { entries: [otherMask], action: "conflict" },
  "entry with another mask, --replace: remove and register": {
    entries: [otherMask],
    replace: true,
    action: "replace",
    remove: ["qemu-aarch64"],
    register: true,
  },
  "disabled entry that differs, --replace: remove and register": {
    entries: [entry("qemu-aarch64", { enabled: false, flags: "" })],
    replace: true,
    action: "replace",
    remove: ["qemu-aarch64"],
    register: true,
  },
  "another entry claims the binaries: conflict": { entries: [foreign], action: "conflict" },
  "another entry claims the binaries, --replace: remove it and register": {
    entries: [foreign, ...unrelated],
    replace: true,
    action: "replace",
    remove: ["aarch64-foo"],
    register: true,
  },
  "entry as wanted and another entry in the way: conflict": {
    entries: [entry("qemu-aarch64"), foreign],
    action: "conflict",
  },
  "entry as wanted and another entry in the way, --replace: remove only the other": {
    entries: [entry("qemu-aarch64"), foreign],
    replace: true,
    action: "replace",
    remove: ["aarch64-foo"],
  },
  "disabled as wanted and another entry in the way, --replace: remove the other, enable ours": {
    entries: [entry("qemu-aarch64", { enabled: false }), foreign],
    replace: true,
    action: "replace",
    remove: ["aarch64-foo"],
    enable: "qemu-aarch64",
  },
  "own entry differs and another in the way, --replace: remove both, register": {
    entries: [noF, foreign],
    replace: true,
    action: "replace",
    remove: ["qemu-aarch64", "aarch64-foo"],
    register: true,
  },
  "another overlapping entry that is disabled: not a conflict": {
    entries: [entry("aarch64-foo", { enabled: false })],
    action: "register",
    register: true,
  },
  "native: native, even with an entry in the way and no interpreter": {
    entries: [foreign, noF],
    native: true,
    interpreter: false,
    action: "native",
  },
  "native with nothing else: native": { native: true, action: "native" },
  "no interpreter and no entry: missing-interpreter": { interpreter: false, action: "missing-interpreter" },
  "entry as wanted and no interpreter found: ok": {
    entries: [entry("qemu-aarch64")],
    interpreter: false,
    action: "ok",
  },
  "disabled as wanted and no interpreter found: enable": {
    entries: [entry("qemu-aarch64", { enabled: false })],
    interpreter: false,
    action: "enable",
    enable: "qemu-aarch64",
  },
  "entry without F, --replace, no interpreter: missing-interpreter": {
    entries: [noF],
    replace: true,
    interpreter: false,
    action: "missing-interpreter",
  },
  "another entry in the way, --replace, no interpreter: missing-interpreter": {
    entries: [foreign],
    replace: true,
    interpreter: false,
    action: "missing-interpreter",
  },
};

describe("plan", () => {
  it.each(Object.entries(CASES))("%s", (_, c) => {
    const step = planAarch64(c);
    expect(step.target).toBe(aarch64);
    expect(step.action).toBe(c.action);
    expect(step.remove).toEqual(c.remove ?? []);
    expect(step.register ? renderRegister(step.register) : undefined).toBe(c.register ? WANTED_REGISTER : undefined);
    expect(step.enable).toBe(c.enable);
    expect(changesKernel(step)).toBe((c.remove ?? []).length > 0 || c.register === true || c.enable !== undefined);
    // A step that is not simply ok or a registration says why.
    const explained = ["enable", "conflict", "replace", "missing-interpreter", "native"].includes(step.action);
    expect(step.reasons.length > 0).toBe(explained);
  });

  it("keeps the entry found as existing", () => {
    expect(planAarch64({ entries: [noF], action: "conflict" }).existing).toBe(noF);
    expect(planAarch64({ entries: [foreign], action: "conflict" }).existing).toBeUndefined();
  });

  it("says why: missing F, another interpreter, another pattern, another entry, no interpreter", () => {
    expect(planAarch64({ entries: [noF], action: "conflict" }).reasons.join("\n")).toMatch(/without F/);
    expect(planAarch64({ entries: [otherInterpreter], action: "conflict" }).reasons.join("\n")).toContain(
      "/usr/libexec/qemu-binfmt/aarch64-binfmt-P",
    );
    expect(planAarch64({ entries: [otherMask], action: "conflict" }).reasons.join("\n")).toMatch(/magic or mask/);
    expect(planAarch64({ entries: [foreign], action: "conflict" }).reasons.join("\n")).toContain("aarch64-foo");
    expect(planAarch64({ interpreter: false, action: "missing-interpreter" }).reasons.join("\n")).toContain(
      "qemu-aarch64",
    );
  });

  it("plans each target on its own, in order", () => {
    const riscv64 = targetByCpu("riscv64") as Target;
    const steps = plan({
      targets: [riscv64, aarch64],
      entries: [entry("qemu-aarch64")],
      native: new Set(),
      interpreters: new Map([["riscv64", { path: "/usr/bin/qemu-riscv64-static", static: true }]]),
      flags: FLAGS,
      replace: false,
    });
    expect(steps.map((step) => [step.target.cpu, step.action])).toEqual([
      ["riscv64", "register"],
      ["aarch64", "ok"],
    ]);
    expect(steps[0]?.register?.interpreter).toBe("/usr/bin/qemu-riscv64-static");
  });
});

describe("notQusReasons: the one ownership rule of ensure and remove", () => {
  it("qus's own: QEMU's pattern and a QEMU emulator of the target, whatever the folder and the flags", () => {
    expect(notQusReasons(aarch64, entry("qemu-aarch64"))).toEqual([]);
    expect(notQusReasons(aarch64, noF)).toEqual([]);
    expect(notQusReasons(aarch64, entry("qemu-aarch64", { interpreter: "/opt/qemu/qemu-aarch64" }))).toEqual([]);
  });

  it("another program's: Debian's interpreter wrapper, another pattern, no magic at all", () => {
    expect(notQusReasons(aarch64, otherInterpreter)).toEqual([
      "its interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P is not QEMU's qemu-aarch64-static or qemu-aarch64",
    ]);
    expect(notQusReasons(aarch64, otherMask)).toEqual(["its magic or mask is not QEMU's for linux/arm64"]);
    const byExtension = parseEntry(
      "qemu-aarch64",
      "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: \nextension .a64\n",
    );
    expect(notQusReasons(aarch64, byExtension)).toHaveLength(1);
  });

  it("an entry known by name only counts by its name", () => {
    expect(
      notQusReasons(aarch64, {
        name: "qemu-aarch64",
        enabled: true,
        interpreter: "",
        flags: "",
        offset: 0,
        opaque: true,
      }),
    ).toEqual([]);
  });
});
