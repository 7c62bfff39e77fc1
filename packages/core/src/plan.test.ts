import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BinfmtEntry, entryPattern, parseEntry } from "./binfmt/entry.js";
import { effectiveFlags, parseFlags } from "./binfmt/flags.js";
import { matchesHeader } from "./binfmt/match.js";
import { renderRegister } from "./binfmt/register.js";
import {
  changesKernel,
  type Interpreter,
  notQusReasons,
  type PlanInput,
  type PlanStep,
  plan,
  targetPattern,
  wantedRegistration,
} from "./plan.js";
import { buildProbe } from "./probe/index.js";
import { entryName, interpreterBase, type QemuCpu, type Target, targetByCpu } from "./targets.js";
import { entryFromRegister, fakeKernel, qemuEntry, target } from "./test-support.js";

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

describe("plan: steps that meet at one name", () => {
  // Found by the idempotence property: qemu-ppc64 registered with i386's magic is ppc64's own entry to replace and
  // i386's entry in the way. Applied in order, i386's removal of it took away the qemu-ppc64 just registered.
  it("an entry one step registers anew is removed by that step alone", () => {
    const wrongPpc64 = entryFromRegister(
      "qemu-ppc64",
      renderRegister({ ...wantedRegistration(target("i386"), "/usr/bin/qemu-ppc64-static", "F"), name: "qemu-ppc64" }),
    );
    const interpreters = new Map<QemuCpu, Interpreter>([
      ["ppc64", { path: "/usr/bin/qemu-ppc64-static", static: true }],
      ["i386", { path: "/usr/bin/qemu-i386-static", static: true }],
    ]);
    const input = { entries: [wrongPpc64], native: new Set<QemuCpu>(), interpreters, flags: FLAGS, replace: true };
    const steps = plan({ ...input, targets: [target("ppc64"), target("i386")] });
    expect(steps.map((step) => [step.action, step.remove, step.register?.name])).toEqual([
      ["replace", ["qemu-ppc64"], "qemu-ppc64"],
      ["replace", [], "qemu-i386"],
    ]);
    const kernel = fakeKernel([wrongPpc64]);
    expect(kernel.apply(steps)).toEqual(new Map());
    expect(kernel.entries().map((entry) => entry.name)).toEqual(["qemu-ppc64", "qemu-i386"]);
    expect([kernel.probe("ppc64").ok, kernel.probe("i386").ok]).toEqual([true, true]);
    // Alone, i386's step still removes it.
    expect(plan({ ...input, targets: [target("i386")] })[0]?.remove).toEqual(["qemu-ppc64"]);
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

// Properties over random kernel tables: plan()'s contract (above) and README's Safety section, for any table.
describe("plan: properties over random tables", () => {
  const POOL: readonly QemuCpu[] = ["aarch64", "arm", "riscv64", "s390x", "ppc64", "mips64", "x86_64", "i386", "i486"];
  const RUNS = { numRuns: 1000 };
  const cpu = fc.constantFrom(...POOL);
  const emulator = (c: QemuCpu, folder = "/usr/bin") => `${folder}/${interpreterBase(target(c))}-static`;
  // Mostly what qus registers (`CF`, shown `OCF`) and its usual folder, so that tables often hold qus's entries as wanted.
  const letters = fc.oneof(
    { arbitrary: fc.constant("CF"), weight: 3 },
    fc.subarray([..."POCF"]).map((l) => l.join("")),
  );
  const kernelFlags = letters.map(effectiveFlags);
  const folder = fc.oneof({ arbitrary: fc.constant("/usr/bin"), weight: 3 }, fc.constant("/opt/qemu"));
  const registerOf = (name: string, c: QemuCpu, interpreter: string) =>
    renderRegister({ ...wantedRegistration(target(c), interpreter, "F"), name });

  // Entries a real table holds: qus's own, others' under qus's name, other tools' under other names, unrelated ones.
  const own = fc
    .record({ c: cpu, enabled: fc.boolean(), flags: kernelFlags, folder })
    .map(({ c, enabled, flags, folder }) => qemuEntry(c, { enabled, flags, interpreter: emulator(c, folder) }));
  const ownNameOtherPattern = fc
    .record({ c: cpu, other: cpu, enabled: fc.boolean() })
    .map(({ c, other, enabled }) =>
      entryFromRegister(`qemu-${c}`, registerOf(`qemu-${c}`, other, emulator(c)), { enabled }),
    );
  // QEMU's pattern compared on every bit of e_type: claims ET_EXEC programs only.
  const ownNameStrictMask = fc.record({ c: cpu, enabled: fc.boolean() }).map(({ c, enabled }) => {
    const registration = wantedRegistration(target(c), emulator(c), "F");
    const mask = registration.mask?.map((byte, i) => (i === 16 ? 0xff : byte));
    return entryFromRegister(`qemu-${c}`, renderRegister({ ...registration, mask }), { enabled });
  });
  const ownNameOtherInterpreter = fc
    .record({ c: cpu, enabled: fc.boolean() })
    .map(({ c, enabled }) =>
      qemuEntry(c, { enabled, interpreter: `/usr/libexec/qemu-binfmt/${c}-binfmt-P`, flags: "POF" }),
    );
  const otherTool = fc
    .record({ c: cpu, enabled: fc.boolean(), flags: kernelFlags })
    .map(({ c, enabled, flags }) =>
      entryFromRegister(`${c}-tool`, registerOf(`${c}-tool`, c, `/opt/tool/${c}`), { enabled, flags }),
    );
  const unrelated = fc.constantFrom(
    entryFromRegister("be64-all", ":be64-all:M:4:\\x02\\x02::/usr/bin/qemu-s390x-static:F"),
    entryFromRegister("WSLInterop", ":WSLInterop:M::MZ::/init:PF"),
    parseEntry("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n"),
  );
  const table = fc.uniqueArray(
    fc.oneof(own, ownNameOtherPattern, ownNameStrictMask, ownNameOtherInterpreter, otherTool, unrelated),
    {
      selector: (entry) => entry.name,
      maxLength: 8,
    },
  );

  const input = fc
    .record({
      entries: table,
      targets: fc.uniqueArray(cpu, { minLength: 1, maxLength: 4 }),
      native: fc.subarray([...POOL], { maxLength: 2 }),
      // QEMU is found for most cpus, not all.
      missing: fc.subarray([...POOL], { maxLength: 3 }),
      folder,
      flags: letters.map(parseFlags),
      replace: fc.boolean(),
    })
    .map(
      (r): PlanInput => ({
        targets: r.targets.map(target),
        entries: r.entries,
        native: new Set(r.native),
        interpreters: new Map(
          POOL.filter((c) => !r.missing.includes(c)).map((c) => [c, { path: emulator(c, r.folder), static: true }]),
        ),
        flags: r.flags,
        replace: r.replace,
      }),
    );

  /** A file both patterns claim, built from their bits alone (independent of patternsOverlap). */
  const claimsSomeProgramOf = (entry: BinfmtEntry, t: Target): boolean => {
    const pattern = entryPattern(entry);
    if (!pattern) return false;
    const file = new Uint8Array(256);
    for (const p of [pattern, targetPattern(t)]) {
      p.magic.forEach((byte, i) => {
        const mask = p.mask ? (p.mask[i] ?? 0) : 0xff;
        file[p.offset + i] = ((file[p.offset + i] ?? 0) & ~mask) | (byte & mask);
      });
    }
    return matchesHeader(pattern, file) && matchesHeader(targetPattern(t), file);
  };
  const byName = (inp: PlanInput, name: string) => inp.entries.find((entry) => entry.name === name);

  it("is deterministic, and plans each target on its own", () => {
    fc.assert(
      fc.property(input, (inp) => {
        const steps = plan(inp);
        expect(plan(inp)).toEqual(steps);
        expect(steps.map((step) => step.target)).toEqual(inp.targets);
        // Alone, a step also removes what another step registers anew (and so removes first, itself).
        const registered = steps.flatMap((step) => (step.register ? [step.register.name] : []));
        for (const [i, t] of inp.targets.entries()) {
          const [alone] = plan({ ...inp, targets: [t] });
          const own = alone?.register?.name;
          const remove = alone?.remove.filter((name) => name === own || !registered.includes(name));
          expect(steps[i]).toEqual(remove?.length === alone?.remove.length ? alone : { ...alone, remove });
        }
      }),
      RUNS,
    );
  });

  it("never registers, replaces or enables anything for a native architecture, nor an entry claiming one", () => {
    fc.assert(
      fc.property(input, (inp) => {
        for (const step of plan(inp)) {
          expect(step.action === "native").toBe(inp.native.has(step.target.cpu));
          if (step.action === "native") expect(changesKernel(step)).toBe(false);
          const registration = step.register;
          if (registration) {
            for (const native of inp.native) expect(matchesHeader(registration, buildProbe(native))).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it("touches an entry of another name only when it claims a requested platform and replace is asked", () => {
    fc.assert(
      fc.property(input, (inp) => {
        for (const step of plan(inp)) {
          const own = entryName(step.target);
          for (const name of step.remove) {
            const entry = byName(inp, name);
            expect(entry).toBeDefined();
            expect(inp.replace).toBe(true);
            if (entry && name !== own) {
              expect(entry.enabled).toBe(true);
              expect(claimsSomeProgramOf(entry, step.target)).toBe(true);
            }
          }
          // Only qus's own name is enabled or registered, and registering never collides with an entry left in place.
          if (step.enable) {
            expect(step.enable).toBe(own);
            expect(notQusReasons(step.target, byName(inp, own) as BinfmtEntry)).toEqual([]);
          }
          if (step.register) {
            expect(step.register.name).toBe(own);
            expect(!byName(inp, own) || step.remove.includes(own)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it("without replace removes nothing and replaces nothing: only registers what is absent or enables qus's own", () => {
    fc.assert(
      fc.property(input, (inp) => {
        for (const step of plan({ ...inp, replace: false })) {
          expect(step.action).not.toBe("replace");
          expect(step.remove).toEqual([]);
          if (step.register) expect(byName(inp, step.register.name)).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it("an enabled qus entry as wanted, with nothing else claiming its programs, is ok and changes nothing", () => {
    fc.assert(
      fc.property(input, (inp) => {
        const emulated = inp.targets.filter((t) => !inp.native.has(t.cpu));
        const inTheWay = (entry: BinfmtEntry) =>
          emulated.some((t) => entry.name === entryName(t) || (entry.enabled && claimsSomeProgramOf(entry, t)));
        const correct = emulated.map((t) =>
          qemuEntry(t.cpu, {
            flags: effectiveFlags(inp.flags),
            interpreter: inp.interpreters.get(t.cpu)?.path ?? emulator(t.cpu, "/opt/qemu"),
          }),
        );
        const steps = plan({ ...inp, entries: [...inp.entries.filter((entry) => !inTheWay(entry)), ...correct] });
        for (const step of steps) {
          expect(step.action).toBe(inp.native.has(step.target.cpu) ? "native" : "ok");
          expect(changesKernel(step)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("applied to the kernel, a plan leaves nothing to change; without conflicts all is ok, and verifies with F", () => {
    fc.assert(
      fc.property(input, (inp) => {
        const present = [...inp.interpreters.values()].map((interpreter) => interpreter.path);
        const kernel = fakeKernel(inp.entries, { native: inp.native, present });
        const first = plan(inp);
        expect(kernel.apply(first.filter(changesKernel))).toEqual(new Map());
        const second = plan({ ...inp, entries: kernel.entries() });
        expect(second.filter(changesKernel)).toEqual([]);
        const settled = first.every((step) => step.action !== "conflict" && step.action !== "missing-interpreter");
        if (!settled) return;
        for (const step of second) {
          const native = inp.native.has(step.target.cpu);
          expect(step.action).toBe(native ? "native" : "ok");
          if (!native && inp.flags.includes("F")) expect(kernel.probe(step.target.cpu).ok).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
