import { describe, expect, it } from "vitest";
import type { Exec, ExecResult } from "../../exec.js";
import type { QemuCpu } from "../../targets.js";
import { execResult } from "../../test-support.js";
import { decideNative, judgeNative } from "../native-policy.js";
import { NO_HANDLER_STATUS } from "../probe-verdict.js";
import { detectNative } from "./native.js";

const ended = execResult;

/** A cache in memory, recording what would be remembered. */
function memoryCache(initial: Partial<Record<QemuCpu, boolean>> = {}) {
  const known = { ...initial };
  return {
    known,
    get: (cpu: QemuCpu) => known[cpu],
    set: (results: ReadonlyMap<QemuCpu, boolean>) => {
      for (const [cpu, native] of results) known[cpu] = native;
    },
  };
}

const detect = (result: ExecResult, cache = memoryCache(), root = true) => {
  const exec: Exec = async () => result;
  return detectNative(["i386"], [], { exec, host: "x86_64", root, cache }).then((found) => ({ found, cache }));
};

describe("native detection (fake exec: the probe's run is what is varied)", () => {
  it("a probe that runs is native, and remembered", async () => {
    const { found, cache } = await detect(ended({ exitCode: 0 }));
    expect(found.get("i386")?.verdict).toBe("native");
    expect(cache.known).toEqual({ i386: true });
  });

  it("only exec format error with nothing claiming it proves foreign", async () => {
    const { found, cache } = await detect(ended({ exitCode: NO_HANDLER_STATUS }));
    expect(found.get("i386")?.verdict).toBe("foreign");
    expect(cache.known).toEqual({ i386: false });
  });

  it.each([
    [
      "a noexec folder (126)",
      ended({ exitCode: 126, stderr: "chroot: failed to run command '/i386': Permission denied" }),
    ],
    ["a signal", ended({ exitCode: undefined, signal: "SIGSEGV" })],
    ["a timeout", ended({ exitCode: undefined, timedOut: true })],
    ["ENOENT", ended({ exitCode: 127, stderr: "No such file or directory" })],
    ["a program that could not start", ended({ exitCode: undefined, startError: "EACCES" })],
  ])("%s proves nothing and is never remembered", async (_, result) => {
    const { found, cache } = await detect(result);
    expect(found.get("i386")?.verdict).toBe("unknown");
    expect(cache.known).toEqual({});
  });

  it("without root, a failed direct run proves nothing (the C library's shell fallback hides ENOEXEC)", async () => {
    const { found, cache } = await detect(ended({ exitCode: 2 }), memoryCache(), false);
    expect(found.get("i386")?.verdict).toBe("unknown");
    expect(cache.known).toEqual({});
  });

  it("a claimed cpu is not run: it keeps what the boot has proven", async () => {
    const exec: Exec = async () => {
      throw new Error("must not run");
    };
    const found = await detectNative([], ["i386"], { exec, host: "x86_64", root: true, cache: memoryCache() });
    expect(found.get("i386")?.verdict).toBe("unknown");
  });
});

describe("decideNative", () => {
  it("never lets an unproven compat mode of the host be emulated; an entry claiming a native one is a problem", () => {
    expect(decideNative("x86_64", "i386", { verdict: "unknown" }, false)).toMatchObject({ native: true });
    expect(decideNative("x86_64", "i386", { verdict: "unknown" }, true)).toMatchObject({
      native: true,
      hostClaimed: true,
    });
    expect(decideNative("x86_64", "i386", { verdict: "native" }, true)).toMatchObject({ hostClaimed: true });
    expect(decideNative("x86_64", "i386", { verdict: "foreign" }, false)).toMatchObject({ native: false });
  });

  it("an unusual compat mode (32-bit arm on arm64) already served by an emulator is planned as usual", () => {
    expect(decideNative("aarch64", "arm", { verdict: "unknown" }, true)).toMatchObject({ native: false });
    expect(decideNative("aarch64", "arm", { verdict: "unknown" }, false)).toMatchObject({ native: true });
  });
});

describe("judgeNative (the container drivers' one run per unclaimed target)", () => {
  const ran = { ok: true, chrooted: true } as const;
  const noHandler = { ok: false, failure: "no-handler", chrooted: true } as const;
  const denied = { ok: false, failure: "exit-status", chrooted: true, reason: "status 126" } as const;

  it("a compat mode of the engine is foreign only after exec format error in a chroot", () => {
    expect(judgeNative("x86_64", "i386", noHandler, false)).toMatchObject({ native: false });
    expect(judgeNative("x86_64", "i386", denied, false)).toMatchObject({ native: true });
    expect(judgeNative("x86_64", "i386", ran, false)).toMatchObject({ native: true });
    expect(judgeNative("x86_64", "i386", undefined, true)).toMatchObject({ native: true, hostClaimed: true });
  });

  it("another architecture is native only when its probe ran with nothing claiming it", () => {
    expect(judgeNative("x86_64", "aarch64", ran, false)).toMatchObject({ native: true });
    expect(judgeNative("x86_64", "aarch64", noHandler, false)).toMatchObject({ native: false });
    expect(judgeNative("x86_64", "aarch64", ran, true)).toMatchObject({ native: false });
  });
});
