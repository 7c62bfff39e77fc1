import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEntry } from "../binfmt/entry.js";
import { QusError } from "../errors.js";
import { TARGETS } from "../targets.js";
import { target } from "../test-support.js";
import { describePlatform, type PlatformFacts } from "./build.js";
import { notes } from "./columns.js";
import type { PlatformReport, Report } from "./model.js";
import { renderJson } from "./render-json.js";
import { renderMarkdown } from "./render-markdown.js";
import { renderTable, shouldColor } from "./render-table.js";

const VERSION_FILE = new URL("../../test-fixtures/qemu-version.txt", import.meta.url);
const QEMU_VERSION = readFileSync(VERSION_FILE, "utf8").split("\n")[0] ?? "";
const QEMU = "/usr/bin/qemu-aarch64-static";

function entry(name: string, flags: string, enabled = true, interpreter = QEMU) {
  return parseEntry(
    name,
    `${enabled ? "enabled" : "disabled"}\ninterpreter ${interpreter}\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`,
  );
}

function platformReport(facts: Partial<PlatformFacts> & Pick<PlatformFacts, "target" | "action">): PlatformReport {
  return describePlatform({
    before: "absent",
    after: undefined,
    qemuVersions: new Map([[QEMU, QEMU_VERSION]]),
    reasons: [],
    requireVerified: true,
    ...facts,
  });
}

const registered = platformReport({
  target: target("aarch64"),
  action: "register",
  after: entry("qemu-aarch64", "OCF"),
  probe: { ok: true },
});
const conflict = platformReport({
  target: target("riscv64"),
  action: "conflict",
  before: "enabled",
  after: entry("qemu-riscv64", "OC", true, "/usr/bin/qemu-riscv64"),
  probe: { ok: false, failure: "interpreter-unreachable", chrooted: true },
  reasons: ["flags OC instead of CF: without F it fails inside containers and chroots"],
});
const native = platformReport({ target: target("x86_64"), action: "native", before: "native", after: "native" });
const missing = platformReport({
  target: target("s390x"),
  action: "missing-interpreter",
  reasons: ["no qemu-s390x found"],
});
const failed = platformReport({
  target: target("ppc64le"),
  action: "register",
  foundInterpreter: "/usr/bin/qemu-ppc64le-static",
  error: new QusError("QUS_KERNEL_WRITE_FAILED", "the kernel refused qemu-ppc64le: EINVAL", { hint: "check dmesg" }),
});

function report(platforms: readonly PlatformReport[], extra: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    command: "ensure",
    driver: "local",
    dryRun: false,
    ok: platforms.every((p) => p.ok),
    kernel: { release: "6.1.0-18-amd64", binfmtMounted: true, mountedByQus: false },
    platforms,
    warnings: [],
    ...extra,
  };
}

const ALL = [registered, conflict, native, missing, failed];

describe("describePlatform", () => {
  it("a registered, verified platform is ok with its interpreter, flags and QEMU version", () => {
    expect(registered).toMatchObject({
      platform: "linux/arm64",
      cpu: "aarch64",
      before: "absent",
      action: "register",
      after: "enabled",
      verified: true,
      interpreter: QEMU,
      flags: "OCF",
      qemuVersion: "qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)",
      ok: true,
    });
    expect(registered.hint).toBeUndefined();
  });

  it("a conflict is not ok and hints at --replace", () => {
    expect(conflict).toMatchObject({ after: "enabled", verified: false, ok: false });
    expect(conflict.hint).toContain("--replace");
    expect(conflict.verification).toMatch(/^ENOENT/);
  });

  it("native is ok without verification", () => {
    expect(native).toEqual({
      platform: "linux/amd64",
      cpu: "x86_64",
      before: "native",
      action: "native",
      after: "native",
      verified: null,
      reasons: [],
      ok: true,
    });
  });

  it("a missing interpreter is not ok and hints at installing QEMU", () => {
    expect(missing).toMatchObject({ after: "absent", verified: null, ok: false });
    expect(missing.hint).toContain("qemu-user-static");
  });

  it("an error is reported with its code and message, and its hint", () => {
    expect(failed.error).toEqual({
      code: "QUS_KERNEL_WRITE_FAILED",
      message: "the kernel refused qemu-ppc64le: EINVAL",
    });
    expect(failed).toMatchObject({ interpreter: "/usr/bin/qemu-ppc64le-static", hint: "check dmesg", ok: false });
  });

  it("without a probe, ok needs verification unless the command only reads", () => {
    const unverified = { target: target("aarch64"), action: "register", after: entry("qemu-aarch64", "OCF") } as const;
    expect(platformReport(unverified).ok).toBe(false);
    expect(platformReport({ ...unverified, requireVerified: false }).ok).toBe(true);
  });

  it("status of a disabled entry is not ok and hints at enabling it", () => {
    const disabled = platformReport({
      target: target("aarch64"),
      action: "none",
      before: "disabled",
      after: entry("qemu-aarch64", "OCF", false),
      requireVerified: false,
    });
    expect(disabled).toMatchObject({ after: "disabled", ok: false });
    expect(disabled.hint).toContain("qus ensure --platforms linux/arm64");
  });
});

describe("renderJson", () => {
  const REQUIRED = ["platform", "cpu", "before", "action", "after", "verified", "reasons", "ok"];
  const OPTIONAL = ["interpreter", "flags", "qemuVersion", "hint", "verification", "error", "failure"];

  it("has exactly the documented top-level keys", () => {
    const json = JSON.parse(renderJson(report(ALL)));
    expect(Object.keys(json).sort()).toEqual(
      ["schemaVersion", "command", "driver", "dryRun", "ok", "kernel", "platforms", "warnings"].sort(),
    );
    expect(json).toMatchObject({ schemaVersion: 1, command: "ensure", driver: "local", dryRun: false, ok: false });
    expect(Object.keys(json.kernel).sort()).toEqual(["binfmtMounted", "mountedByQus", "release"]);
    expect(json.platforms).toHaveLength(ALL.length);
  });

  it("each platform has the required keys and only documented optional ones, left out when unset", () => {
    const json = JSON.parse(renderJson(report(ALL)));
    for (const platform of json.platforms as Record<string, unknown>[]) {
      const keys = Object.keys(platform);
      for (const key of REQUIRED) expect(keys).toContain(key);
      for (const key of keys) expect([...REQUIRED, ...OPTIONAL]).toContain(key);
      for (const value of Object.values(platform)) expect(value).not.toBeUndefined();
    }
    expect(Object.keys(json.platforms[2]).sort()).toEqual([...REQUIRED].sort());
    expect(Object.keys(json.platforms[4].error).sort()).toEqual(["code", "message"]);
  });

  it("is one JSON document ending in a newline, and keeps files when there are some", () => {
    const text = renderJson(
      report([registered], { files: [{ path: "/etc/binfmt.d/x.conf", content: ":x", written: true }] }),
    );
    expect(text.endsWith("}\n")).toBe(true);
    expect(JSON.parse(text).files).toEqual([{ path: "/etc/binfmt.d/x.conf", content: ":x", written: true }]);
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes are what is tested
const ANSI = /\u001b\[/;

describe("renderTable", () => {
  it("without color: no escape codes, a header row, then one row per platform", () => {
    const text = renderTable(report(ALL, { warnings: ["something odd"] }), { color: false });
    expect(text).not.toMatch(ANSI);
    const lines = text.split("\n");
    expect(lines[0]?.split(/\s+/)).toEqual([
      "platform",
      "before",
      "action",
      "after",
      "verified",
      "flags",
      "interpreter",
      "qemu",
    ]);
    expect(lines.slice(1, 1 + ALL.length).map((line) => line.split(/\s+/)[0])).toEqual(ALL.map((p) => p.platform));
    expect(lines[1]).toContain("7.2.22");
    expect(lines[1]).toContain("yes");
    expect(lines[2]).toContain("NO");
    expect(text).toContain("warning: something odd");
    expect(lines.at(-2)).toBe("ensure: 3 of 5 platforms not ok");
  });

  it("with color: ANSI codes, green for ok rows and red for the others", () => {
    const text = renderTable(report(ALL), { color: true });
    expect(text).toMatch(ANSI);
    expect(text).toContain("\u001b[32mlinux/arm64");
    expect(text).toContain("\u001b[31mlinux/riscv64");
  });

  it("says when all platforms are ok, and when it was a dry run", () => {
    const text = renderTable(report([registered, native], { dryRun: true }), { color: false });
    expect(text.trimEnd().split("\n").at(-1)).toBe("(dry run) ensure: all 2 platforms ok");
  });
});

describe("a first run reads in one screen", () => {
  const absent = (platform: string, cpu: string): PlatformReport => ({
    platform,
    cpu,
    before: "absent",
    action: "none",
    after: "absent",
    verified: null,
    reasons: ["not registered"],
    hint: `register it: qus ensure --platforms ${platform}`,
    ok: false,
  });

  it("status shows only what means something for it: one state, no action", () => {
    const text = renderTable(report([absent("linux/arm64", "aarch64")], { command: "status" }), { color: false });
    expect(text.split("\n")[0]?.split(/\s+/)).toEqual([
      "platform",
      "state",
      "verified",
      "flags",
      "interpreter",
      "qemu",
    ]);
    expect(renderMarkdown(report([native], { command: "verify" }))).toContain("| platform | state | verified |");
  });

  it("platforms with the same reason and fix share one line, the fix naming them all", () => {
    const text = renderTable(
      report([absent("linux/arm64", "aarch64"), absent("linux/s390x", "s390x"), native], { command: "status" }),
      { color: false },
    );
    expect(text).toContain(
      "  2 platforms: not registered (hint: register them: qus ensure --platforms linux/arm64,linux/s390x)\n",
    );
    expect(text).not.toContain("linux/arm64: not registered");
  });

  it("every target missing but the native one: the fix is `--platforms all`", () => {
    const platforms = TARGETS.map((target) =>
      target.cpu === "x86_64" ? native : absent(target.platforms[0] ?? target.cpu, target.cpu),
    );
    const lines = notes(platforms);
    expect(lines).toEqual([
      `${TARGETS.length - 1} platforms: not registered (hint: register them: qus ensure --platforms all)`,
    ]);
  });

  it("one platform keeps its own line", () => {
    expect(notes([absent("linux/arm64", "aarch64")])).toEqual([
      "linux/arm64: not registered (hint: register it: qus ensure --platforms linux/arm64)",
    ]);
  });
});

describe("shouldColor", () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: true }, { TERM: "xterm-256color" }, true],
    [{ isTTY: true }, { NO_COLOR: "1" }, false],
    [{ isTTY: true }, { TERM: "dumb" }, false],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
  ] as const)("%j with %j → %s", (stream, env, expected) => {
    expect(shouldColor(stream, env)).toBe(expected);
  });
});

describe("renderMarkdown", () => {
  const piped = platformReport({
    target: target("aarch64"),
    action: "register",
    after: entry("qemu-aarch64", "OCF", true, "/opt/a|b/qemu-aarch64"),
    probe: { ok: false, failure: "exit-status", detail: "status 1: a | b\nc" },
  });
  const text = renderMarkdown(report([registered, piped, native]));
  const lines = text.split("\n");
  const unescapedPipes = (line: string) => line.replaceAll("\\|", "").split("|").length - 1;

  it("gives a header row, a separator, and one row per platform with as many cells", () => {
    const header = lines.findIndex((line) => line.startsWith("| platform |"));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(/^\|(---\|)+$/);
    const rows = lines.slice(header + 2, header + 5);
    expect(rows.map((row) => row.split(" | ")[0])).toEqual(["| linux/arm64", "| linux/arm64", "| linux/amd64"]);
    for (const line of [lines[header + 1] ?? "", ...rows]) {
      expect(unescapedPipes(line)).toBe(unescapedPipes(lines[header] ?? ""));
    }
    expect(lines[header + 5]).toBe("");
  });

  it("escapes | in cells and notes, and keeps each note on one line", () => {
    expect(text).toContain("/opt/a\\|b/qemu-aarch64");
    const note = lines.find((line) => line.startsWith("- linux/arm64:"));
    expect(note).toContain("a \\| b c");
  });

  it("has a heading with the verdict", () => {
    expect(lines[0]).toBe("### qus ensure: ❌ some platforms not ok");
    expect(renderMarkdown(report([registered], { dryRun: true })).split("\n")[0]).toBe(
      "### qus ensure (dry run): ✅ all platforms ok",
    );
  });
});

describe("text from other programs in the table and Markdown (a hostile entry or engine)", () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is tested
  const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
  const ESC = "\u001b";
  const hostile = "/x\u001b]0;owned\u0007\u001b[2J\u009b31m";
  const shown = "/x\\x1b]0;owned\\x07\\x1b[2J\\x9b31m";
  const platform = platformReport({
    target: target("aarch64"),
    action: "conflict",
    before: "enabled",
    after: entry("qemu-aarch64", "OC", true, hostile),
    reasons: [`interpreter ${hostile} instead of ${QEMU}`],
  });
  const hostileReport = report([platform], { warnings: [`an engine said ${hostile}`] });

  it("renderTable shows escape sequences escaped in cells, notes and warnings, and keeps its own colors", () => {
    const text = renderTable(hostileReport, { color: false });
    expect(text).not.toMatch(RAW);
    expect(text.split(shown).length - 1).toBe(3);
    const colored = renderTable(hostileReport, { color: true });
    // Only its own color codes stay raw.
    expect(colored.replaceAll(`${ESC}[32m`, "").replaceAll(`${ESC}[31m`, "").replaceAll(`${ESC}[0m`, "")).not.toMatch(
      RAW,
    );
  });

  it("renderMarkdown too", () => {
    const text = renderMarkdown(hostileReport);
    expect(text).not.toMatch(RAW);
    expect(text).toContain(shown);
  });
});

describe("notes of a platform nothing else explains", () => {
  const line = (after: PlatformReport["after"]): PlatformReport => ({
    platform: "linux/riscv64",
    cpu: "riscv64",
    before: after,
    action: "none",
    after,
    verified: null,
    reasons: [],
    ok: false,
    hint: "enable it: qus ensure --platforms linux/riscv64",
  });

  it("says its entry's state instead of nothing (qus status of a disabled entry)", () => {
    expect(notes([line("disabled")])).toEqual([
      "linux/riscv64: its entry is disabled (hint: enable it: qus ensure --platforms linux/riscv64)",
    ]);
    expect(notes([line("absent")])[0]).toMatch(/^linux\/riscv64: no entry is registered /);
  });
});
