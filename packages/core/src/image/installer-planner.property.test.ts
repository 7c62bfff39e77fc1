import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type BinfmtEntry, parseEntry } from "../binfmt/entry.js";
import { effectiveFlags, parseFlags } from "../binfmt/flags.js";
import { renderRegister } from "../binfmt/register.js";
import { type PlanStep, plan, wantedRegistration } from "../plan.js";
import { interpreterBase, type QemuCpu, requireTarget, type Target } from "../targets.js";
import { renderInstallerTable } from "./installer-files.js";
import { INSTALLER_PLANNER } from "./installer-planner.js";

// The installer image's shell planner and plan() decide the same: random kernel tables (qus's entries, other
// programs' under qus's names, other tools' entries with random patterns, disabled ones), flags, --replace and native
// cpus, each written as files in a folder that stands for binfmt_misc, planned by the shell for real (many cases per
// shell process) and by plan(), step for step.

const CASES = 1000;
const POOL: readonly QemuCpu[] = ["aarch64", "arm", "riscv64", "s390x", "ppc64", "mips64", "x86_64", "i386", "i486"];
const target = (cpu: QemuCpu): Target => requireTarget(cpu);
const cpu = fc.constantFrom(...POOL);
const emulator = (c: QemuCpu, folder = "/usr/bin") => `${folder}/${interpreterBase(target(c))}-static`;
const letters = fc.oneof(
  { arbitrary: fc.constant("CF"), weight: 3 },
  fc.subarray([..."POCF"]).map((l) => l.join("")),
);
const folder = fc.oneof({ arbitrary: fc.constant("/usr/bin"), weight: 3 }, fc.constant("/opt/qemu"));
const enabled = fc.boolean();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** An entry file as the kernel prints it: what both planners read. */
interface EntryFile {
  readonly name: string;
  readonly text: string;
}

/** The text of an entry as the kernel prints one registered from `register` (flags in the kernel's order). */
function fromRegister(name: string, c: QemuCpu, interpreter: string, on: boolean, flags: string): EntryFile {
  const registration = wantedRegistration(target(c), interpreter, "F");
  const lines = [on ? "enabled" : "disabled", `interpreter ${interpreter}`, `flags: ${flags}`, "offset 0"];
  return {
    name,
    text: `${[...lines, `magic ${hex(registration.magic)}`, `mask ${hex(registration.mask ?? new Uint8Array())}`].join("\n")}\n`,
  };
}

const own = fc
  .record({ c: cpu, on: enabled, flags: letters.map(effectiveFlags), folder })
  .map(({ c, on, flags, folder }) => fromRegister(`qemu-${c}`, c, emulator(c, folder), on, flags));
const ownNameOtherPattern = fc
  .record({ c: cpu, other: cpu, on: enabled })
  .map(({ c, other, on }) => fromRegister(`qemu-${c}`, other, emulator(c), on, "F"));
const ownNameOtherInterpreter = fc
  .record({ c: cpu, on: enabled, flags: letters.map(effectiveFlags) })
  .map(({ c, on, flags }) => fromRegister(`qemu-${c}`, c, `/usr/libexec/qemu-binfmt/${c}-binfmt-P`, on, flags));
const otherTool = fc
  .record({ c: cpu, on: enabled, flags: letters.map(effectiveFlags) })
  .map(({ c, on, flags }) => fromRegister(`${c}-tool`, c, `/opt/tool/${c}`, on, flags));
// Any pattern at all: an offset, magic bytes near an ELF header's, a mask or none, a mask shorter than its magic.
const byte = fc.oneof(
  fc.constantFrom(0x7f, 0x45, 0x4c, 0x46, 0x01, 0x02, 0x00, 0xb7, 0xf3, 0x03),
  fc.integer({ min: 0, max: 255 }),
);
const randomPattern = fc
  .record({
    name: fc.constantFrom("x-one", "x-two", "Zed", "be64-all", "qemu-aarch64", "qemu-arm", "qemu-i386"),
    on: enabled,
    offset: fc.integer({ min: 0, max: 20 }),
    magic: fc.array(byte, { minLength: 1, maxLength: 20 }),
    mask: fc.option(fc.array(fc.constantFrom(0xff, 0xfe, 0x00, 0xf0), { minLength: 1, maxLength: 20 })),
    flags: fc.constantFrom("", "F", "OCF", "P"),
    interpreter: fc.constantFrom("/init", "/usr/bin/qemu-aarch64-static", "/opt/qemu/qemu-arm", ""),
  })
  .map(({ name, on, offset, magic, mask, flags, interpreter }): EntryFile => {
    const lines = [on ? "enabled" : "disabled", `interpreter ${interpreter}`, `flags: ${flags}`, `offset ${offset}`];
    const maskLine = mask ? [`mask ${hex(Uint8Array.from(mask.slice(0, magic.length)))}`] : [];
    return { name, text: `${[...lines, `magic ${hex(Uint8Array.from(magic))}`, ...maskLine].join("\n")}\n` };
  });
const extension = fc.constant<EntryFile>({
  name: "jar",
  text: "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n",
});

const input = fc.record({
  entries: fc.uniqueArray(
    fc.oneof(own, ownNameOtherPattern, ownNameOtherInterpreter, otherTool, randomPattern, extension),
    {
      selector: (entry) => entry.name,
      maxLength: 8,
    },
  ),
  targets: fc.uniqueArray(cpu, { minLength: 1, maxLength: 4 }),
  native: fc.subarray([...POOL], { maxLength: 2 }),
  folder,
  flags: letters.map(parseFlags),
  replace: fc.boolean(),
});
type Case = typeof input extends fc.Arbitrary<infer T> ? T : never;

/** One step as the shell prints it, or as plan() decides it in the shell's terms. */
interface Decision {
  cpu: string;
  action: string;
  enable: string;
  register: string;
  remove: string[];
  reasons: string[];
}

// plan() sees the entries in the shell's glob order (byte order of names, LC_ALL=C); conflict reasons leave out what
// else an entry serves, which the shell does not know (it has no probe headers).
function planned(c: Case): Decision[] {
  const entries: BinfmtEntry[] = c.entries
    .map((file) => parseEntry(file.name, file.text))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const interpreters = new Map(POOL.map((p) => [p, { path: emulator(p, c.folder), static: true }]));
  const steps = plan({
    targets: c.targets.map(target),
    entries,
    native: new Set(c.native),
    interpreters,
    flags: c.flags,
    replace: c.replace,
  });
  return steps.map((step: PlanStep) => ({
    cpu: step.target.cpu,
    action: step.action,
    enable: step.enable ?? "-",
    register: step.register ? renderRegister(step.register) : "-",
    remove: [...step.remove],
    reasons: step.reasons.filter((reason) => !/ also serves .*: replacing it for \S+ stops them$/.test(reason)),
  }));
}

/** Writes every case's folder and table, runs the planner on each in one shell process, and reads its steps. */
function shellPlanned(shell: string, cases: readonly Case[], root: string): Decision[][] {
  const calls = cases.map((c, i) => {
    const dir = join(root, String(i));
    mkdirSync(join(dir, "binfmt"), { recursive: true });
    // The kernel's own files sit beside the entries: the planner skips them.
    writeFileSync(join(dir, "binfmt", "register"), "");
    writeFileSync(join(dir, "binfmt", "status"), "enabled\n");
    for (const file of c.entries) writeFileSync(join(dir, "binfmt", file.name), file.text);
    const table = renderInstallerTable(c.targets.map(target), (t) => emulator(t.cpu, c.folder), c.flags);
    writeFileSync(join(dir, "table"), table);
    return `echo "case ${i}"; qp_plan "${dir}/binfmt" "${dir}/table" "${c.native.join(" ")}" "${c.replace ? 1 : ""}"`;
  });
  const script = join(root, "run.sh");
  writeFileSync(script, `set -f\n${INSTALLER_PLANNER}\n${calls.join("\n")}\n`);
  const [command = "sh", ...args] = shell === "sh" ? [shell] : [shell, "sh"];
  const run = spawnSync(command, [...args, script], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
    maxBuffer: 1 << 28,
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout
    .split(/^case \d+\n/m)
    .slice(1)
    .map((text) => {
      const decisions: Decision[] = [];
      let reasons: string[] = [];
      for (const line of text.split("\n").filter(Boolean)) {
        if (line.startsWith("why ")) {
          reasons.push(line.slice(4));
          continue;
        }
        const [, cpu = "", , , action = "", enable = "", register = "", ...remove] = line.split(" ");
        decisions.push({ cpu, action, enable, register, remove, reasons });
        reasons = [];
      }
      return decisions;
    });
}

// The host's sh (dash here), and busybox's, the image's own, where one is found (QUS_BUSYBOX names a binary).
const busybox = process.env.QUS_BUSYBOX ?? "busybox";
const shells = ["sh", busybox].filter(
  (shell) => spawnSync(shell, shell === "sh" ? ["-c", ":"] : ["true"]).status === 0,
);
const work = mkdtempSync(join(tmpdir(), "qus-planner-"));
afterAll(() => rmSync(work, { recursive: true, force: true }), 60_000);

describe("the installer image's planner decides as plan() does", () => {
  const seed = Number(process.env.QUS_PLANNER_SEED ?? Date.now() % 2 ** 31);
  const cases = fc.sample(input, { numRuns: CASES, seed });

  it.each(shells)(
    `${CASES} random kernel tables, conflicts, flags and --replace, run by %s (seed in the message)`,
    (shell) => {
      const root = mkdtempSync(join(work, "shell-"));
      const decided = shellPlanned(shell, cases, root);
      expect(decided).toHaveLength(cases.length);
      for (const [i, c] of cases.entries()) {
        expect(decided[i], `seed ${seed}, case ${i}: ${JSON.stringify(c)}`).toEqual(planned(c));
      }
    },
    120_000,
  );

  it("the cases hold every action plan() takes here, so the comparison is not vacuous", () => {
    const actions = new Set(cases.flatMap((c) => planned(c).map((step) => step.action)));
    expect([...actions].sort()).toEqual(["conflict", "enable", "native", "ok", "register", "replace"]);
  });
});
