import { type PlatformReport, QusError, type QusErrorCode, type Report } from "@qus/core";
import { exitCodeOfError } from "@qus/core/toolkit";
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeForReport, gravest } from "./exit-codes.js";
import { runQus as run } from "./test-support.js";

// Only help and input errors run here: each of these ends before qus reads or writes the kernel's table.

describe("main: help", () => {
  it("no arguments: usage on stdout, exit 2", async () => {
    const { code, stdout, stderr } = await run();
    expect(code).toBe(2);
    expect(stdout).toContain("Usage: qus <command> [options]");
    for (const command of ["status", "ensure", "verify", "remove", "persist"]) expect(stdout).toContain(`  ${command}`);
    expect(stderr).toBe("");
  });

  it.each(["--help", "-h", "help"])("%s: the same help, exit 0", async (arg) => {
    const { code, stdout } = await run(arg);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: qus <command> [options]");
    expect(stdout).toContain("Exit codes:");
  });

  it.each([
    [["help", "ensure"], "Usage: qus ensure"],
    [["help", "vm", "run"], "Usage: qus vm run"],
    [["help", "k8s", "manifest"], "Usage: qus k8s manifest"],
  ])("qus %j: the command's own help, as COMMAND --help prints it, exit 0", async (args, usage) => {
    const own = await run(...args);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain(usage);
    expect(own.stdout).toBe((await run(...args.slice(1), "--help")).stdout);
  });

  it("qus help of what is no command: exit 2 naming it; of a group: its commands", async () => {
    const unknown = await run("help", "ensur");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/QUS_USAGE: qus help: no command "ensur"/);
    const group = await run("help", "vm");
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/name one of: vm create, vm start/);
  });

  it("--version prints the version and where qus runs from, exit 0", async () => {
    const { code, stdout } = await run("--version");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\S+ \(\/\S*packages\/cli\)\n$/);
  });

  it("ensure --help lists its options, exit 0", async () => {
    const { code, stdout, stderr } = await run("ensure", "--help");
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain("Usage: qus ensure");
    for (const option of ["--platforms LIST", "--replace", "--flags FLAGS", "--qemu-path DIR", "--dry-run", "--json"]) {
      expect(stdout).toContain(`  ${option}`);
    }
  });

  it("ensure -h also shows the help, even without --platforms", async () => {
    const { code, stdout } = await run("ensure", "-h");
    expect(code).toBe(0);
    expect(stdout).toContain("--platforms");
  });
});

describe("main: bad input exits 2 with the error on stderr", () => {
  it.each<[string, string[], string[]]>([
    ["unknown command", ["frobnicate"], ["QUS_USAGE", '"frobnicate"', "hint:"]],
    ["ensure without --platforms", ["ensure", "--dry-run"], ["QUS_USAGE", "--platforms"]],
    ["verify without --platforms", ["verify"], ["QUS_USAGE", "--platforms"]],
    ["remove without --platforms", ["remove", "--dry-run"], ["QUS_USAGE", "--platforms"]],
    [
      "an unknown platform",
      ["ensure", "--platforms", "arm65", "--dry-run"],
      ["QUS_UNKNOWN_PLATFORM", "arm65", '"arm64"'],
    ],
    [
      "an unknown platform in a list",
      ["ensure", "--platforms", "linux/arm64,riscv", "--dry-run"],
      ["QUS_UNKNOWN_PLATFORM", '"riscv"', '"riscv64"'],
    ],
    ["unknown flags", ["ensure", "--platforms", "arm64", "--flags", "Z", "--dry-run"], ["QUS_INVALID_FLAGS", '"Z"']],
    ["an unknown option", ["ensure", "--platforms", "arm64", "--dry-run", "--frobnicate"], ["QUS_USAGE", "frobnicate"]],
    ["an unknown driver", ["ensure", "--platforms", "arm64", "--dry-run", "--driver", "nope"], ["QUS_USAGE", '"nope"']],
    ["a positional argument", ["ensure", "arm64"], ["QUS_USAGE"]],
    ["an option without its value", ["ensure", "--platforms"], ["QUS_USAGE"]],
    ["an option of another command", ["status", "--replace"], ["QUS_USAGE", "replace"]],
  ])("%s", async (_, argv, expected) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^qus: error QUS_[A-Z_]+: /);
    for (const text of expected) expect(stderr).toContain(text);
  });
});

function platform(fields: Partial<PlatformReport>): PlatformReport {
  return {
    platform: "linux/arm64",
    cpu: "aarch64",
    before: "absent",
    action: "register",
    after: "enabled",
    verified: true,
    reasons: [],
    ok: true,
    ...fields,
  };
}

function report(platforms: PlatformReport[]): Report {
  return {
    schemaVersion: 1,
    command: "ensure",
    driver: "local",
    dryRun: false,
    ok: platforms.every((p) => p.ok),
    kernel: { release: "6.1.0", binfmtMounted: true, mountedByQus: false },
    platforms,
    warnings: [],
  };
}

describe("main: with --json, an error is JSON on stdout too", () => {
  it("bad input: the code, kind, message and hint as JSON, the exit code in it, the text on stderr", async () => {
    const { code, stdout, stderr } = await run("ensure", "--platforms", "arm64", "--dry-run", "--json", "--markdown");
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      schemaVersion: 1,
      ok: false,
      exitCode: 2,
      error: {
        code: "QUS_USAGE",
        kind: "input",
        message: "--json and --markdown exclude each other",
        hint: expect.any(String),
      },
    });
    expect(stderr).toMatch(/^qus: error QUS_USAGE: /);
  });

  it("--json after -- is the command's, not qus's: no JSON", async () => {
    const { code, stdout } = await run("vm", "run", "/nonexistent", "--", "prog", "--json");
    expect(code).toBe(125);
    expect(stdout).toBe("");
  });

  it("qus vm run's own failure is 125 in the JSON too", async () => {
    const { code, stdout } = await run("vm", "run", "/nonexistent", "--json", "--", "true");
    expect(code).toBe(125);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, exitCode: 125, error: { code: "QUS_VM_NOT_FOUND" } });
  });
});

describe("gravest: the one roll-up of exit codes", () => {
  it.each<[number[], number]>([
    [[], EXIT.ok],
    [[EXIT.ok, EXIT.ok], EXIT.ok],
    [[EXIT.ok, EXIT.notOk], EXIT.notOk],
    [[EXIT.notOk, EXIT.usage], EXIT.usage],
    [[EXIT.usage, EXIT.environment, EXIT.notOk], EXIT.environment],
  ])("%j → %i", (codes, expected) => {
    expect(gravest(codes)).toBe(expected);
  });
});

describe("exitCodeForReport", () => {
  it.each<[string, PlatformReport[], number]>([
    ["every platform ok", [platform({}), platform({ action: "native", after: "native", verified: null })], EXIT.ok],
    ["no platforms", [], EXIT.ok],
    ["verification failed", [platform({}), platform({ verified: false, ok: false })], EXIT.notOk],
    ["a conflict left in place", [platform({ action: "conflict", ok: false })], EXIT.notOk],
    ["a kernel write failed", [platform({ ok: false, error: { code: "QUS_KERNEL_WRITE_FAILED", message: "x" } })], 1],
    ["no interpreter", [platform({}), platform({ action: "missing-interpreter", after: "absent", ok: false })], 3],
    ["not root", [platform({ ok: false, error: { code: "QUS_NOT_ROOT", message: "x" } })], EXIT.environment],
    ["no F flag in the kernel", [platform({ ok: false, error: { code: "QUS_KERNEL_NO_F_FLAG", message: "x" } })], 3],
  ])("%s → %i", (_, platforms, code) => {
    expect(exitCodeForReport(report(platforms))).toBe(code);
  });
});

describe("the same error code gives the same exit code, reported for one platform or thrown", () => {
  it.each<QusErrorCode>([
    "QUS_PRIVILEGE_DENIED",
    "QUS_ENGINE_UNREACHABLE",
    "QUS_BINFMT_DISABLED",
    "QUS_NATIVE_CLAIMED",
    "QUS_HOST_MATCH",
    "QUS_TIMEOUT",
    "QUS_PERSIST_CONFLICT",
    "QUS_NOT_ROOT",
  ])("%s", (code) => {
    const reported = exitCodeForReport(report([platform({ ok: false, error: { code, message: "x" } })]));
    expect(reported).toBe(exitCodeOfError(new QusError(code, "x")));
  });
});

describe("main: repeated options", () => {
  it("a repeated option that does not add up is an error, exit 2, naming it", async () => {
    const { code, stderr } = await run("ensure", "--platforms", "arm64", "--flags", "F", "--flags", "FC");
    expect(code).toBe(2);
    expect(stderr).toContain("--flags was given more than once");
  });

  it("a bad platform among repeated --platforms is found: they add up, none is dropped", async () => {
    const { code, stderr } = await run("ensure", "--platforms", "arm64", "--platforms", "nonsense", "--dry-run");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_UNKNOWN_PLATFORM");
    expect(stderr).toContain("nonsense");
  });
});

describe("exitCodeOfError", () => {
  it.each<[string, unknown, number]>([
    ["usage", new QusError("QUS_USAGE", "x"), 2],
    ["an unknown platform", new QusError("QUS_UNKNOWN_PLATFORM", "x"), 2],
    ["invalid flags", new QusError("QUS_INVALID_FLAGS", "x"), 2],
    ["not root", new QusError("QUS_NOT_ROOT", "x"), 3],
    ["no binfmt_misc", new QusError("QUS_NO_BINFMT_MISC", "x"), 3],
    ["a failed kernel write", new QusError("QUS_KERNEL_WRITE_FAILED", "x"), 1],
    ["a failed persist", new QusError("QUS_PERSIST_FAILED", "x"), 1],
    ["a plain Error", new Error("boom"), 1],
    ["a thrown string", "boom", 1],
    ["undefined", undefined, 1],
  ])("%s → %i", (_, error, code) => {
    expect(exitCodeOfError(error)).toBe(code);
  });

  it("recognises a QusError from another copy of the module by name and code", () => {
    const copy = Object.assign(new Error("x"), { name: "QusError", code: "QUS_NOT_ROOT", kind: "environment" });
    expect(exitCodeOfError(copy)).toBe(3);
  });
});

describe("main: --junit", () => {
  it.each(["ensure", "verify", "buildx"])("%s --help lists --junit FILE", async (command) => {
    const { code, stdout } = await run(command, "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("  --junit FILE");
  });

  it("an empty --junit is a usage error, exit 2, before anything runs", async () => {
    const { code, stderr } = await run("verify", "--platforms", "linux/arm64", "--junit", "");
    expect(code).toBe(2);
    expect(stderr).toContain("qus: error QUS_USAGE: qus verify: --junit needs a file name");
  });

  it("--junit goes only with the commands that report platforms", async () => {
    const { code, stderr } = await run("remove", "--platforms", "linux/arm64", "--junit", "x.xml");
    expect(code).toBe(2);
    expect(stderr).toContain("QUS_USAGE");
  });
});

describe("main: gitlab", () => {
  it("writes the component and the remote file with its integrity, and prints the integrity", async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { createHash } = await import("node:crypto");
    const dir = mkdtempSync(join(tmpdir(), "qus-cli-gitlab-"));
    try {
      const remote = join(dir, "public", "qus.yml");
      const { code, stdout } = await run("gitlab", "--out", dir, "--remote", remote);
      expect(code).toBe(0);
      const component = readFileSync(join(dir, "templates", "qus.yml"), "utf8");
      expect(component).toMatch(/^spec:\n {2}inputs:\n/m);
      const integrity = `sha256-${createHash("sha256").update(readFileSync(remote)).digest("base64")}`;
      expect(readFileSync(`${remote}.integrity`, "utf8")).toBe(`${integrity}\n`);
      expect(stdout).toContain(`integrity: ${integrity}\n`);
      const json = await run("gitlab", "--remote", remote, "--json");
      expect(JSON.parse(json.stdout)).toEqual({ remote, integrity });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([[[]], [["--out", ""]], [["--out", "a", "--out", "b"]], [["--bogus"]]])(
    "gitlab %j: QUS_USAGE, exit 2",
    async (args) => {
      const { code, stderr } = await run("gitlab", ...args);
      expect(code).toBe(2);
      expect(stderr).toContain("qus: error QUS_USAGE");
    },
  );
});
