import { createRequire as __qusRequire } from 'node:module'; const require = __qusRequire(import.meta.url);
var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: !0 });
};

// ../core/src/binfmt/escape.ts
function decodeEscaped(text2) {
  let bytes = [];
  for (let i = 0; i < text2.length; i++)
    text2[i] === "\\" && text2[i + 1] === "x" && /^[0-9a-fA-F]{2}$/.test(text2.slice(i + 2, i + 4)) ? (bytes.push(Number.parseInt(text2.slice(i + 2, i + 4), 16)), i += 3) : text2[i] === "\\" && text2[i + 1] === "\\" ? (bytes.push(92), i += 1) : bytes.push(text2.charCodeAt(i) & 255);
  return Uint8Array.from(bytes);
}
function encodeEscaped(bytes) {
  let out = "";
  for (let byte of bytes) out += `\\x${byte.toString(16).padStart(2, "0")}`;
  return out;
}
function fromHex(hex) {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}
var init_escape = __esm({
  "../core/src/binfmt/escape.ts"() {
    "use strict";
  }
});

// ../core/src/binfmt/match.ts
function maskAt(pattern, index) {
  return pattern.mask ? pattern.mask[index] ?? 0 : 255;
}
function matchesHeader(pattern, header2) {
  return header2.length < pattern.offset + pattern.magic.length ? !1 : pattern.magic.every((byte, i) => {
    let mask = maskAt(pattern, i);
    return ((header2[pattern.offset + i] ?? 0) & mask) === (byte & mask);
  });
}
function patternsOverlap(a, b) {
  let start = Math.max(a.offset, b.offset), end = Math.min(a.offset + a.magic.length, b.offset + b.magic.length);
  for (let position = start; position < end; position++) {
    let i = position - a.offset, j = position - b.offset, common2 = maskAt(a, i) & maskAt(b, j);
    if (((a.magic[i] ?? 0) & common2) !== ((b.magic[j] ?? 0) & common2)) return !1;
  }
  return !0;
}
var init_match = __esm({
  "../core/src/binfmt/match.ts"() {
    "use strict";
  }
});

// ../core/src/binfmt/entry.ts
function parseEntry(name, text2) {
  let enabled = !1, interpreter = "", flags = "", offset = 0, magic, mask, extension;
  for (let rawLine of text2.split(`
`)) {
    let line = rawLine.trim();
    line === "enabled" ? enabled = !0 : line === "disabled" ? enabled = !1 : line.startsWith("interpreter ") ? interpreter = rawLine.slice(rawLine.indexOf("interpreter ") + 12) : line.startsWith("flags:") ? flags = line.slice(6).trim() : line.startsWith("offset ") ? offset = Number.parseInt(line.slice(7), 10) || 0 : line.startsWith("magic ") ? magic = parseHexField(line.slice(6)) : line.startsWith("mask ") ? mask = parseHexField(line.slice(5)) : line.startsWith("extension ") && (extension = line.slice(10));
  }
  return { name, enabled, interpreter, flags, offset, magic, mask, extension };
}
function parseHexField(value) {
  let hex = value.trim();
  return /^([0-9a-fA-F]{2})+$/.test(hex) ? fromHex(hex) : void 0;
}
function entryPattern(entry) {
  return entry.magic ? { offset: entry.offset, magic: entry.magic, mask: entry.mask } : void 0;
}
function claimantsOf(entries, header2) {
  return entries.filter((entry) => {
    let pattern = entryPattern(entry);
    return entry.enabled && pattern !== void 0 && matchesHeader(pattern, header2);
  });
}
var init_entry = __esm({
  "../core/src/binfmt/entry.ts"() {
    "use strict";
    init_escape();
    init_match();
  }
});

// ../core/src/errors.ts
function exitCodeOf(code) {
  let kind = KIND[code];
  return kind === "input" ? EXIT_CODES.usage : kind === "environment" ? EXIT_CODES.environment : EXIT_CODES.notOk;
}
function isQusError(value) {
  return value instanceof Error && value.name === "QusError" && typeof value.code == "string";
}
function errnoCode(error) {
  let code = error?.code;
  return typeof code == "string" ? code : void 0;
}
var KIND, EXIT_CODES, QusError, init_errors = __esm({
  "../core/src/errors.ts"() {
    "use strict";
    KIND = {
      QUS_USAGE: "input",
      QUS_UNKNOWN_PLATFORM: "input",
      QUS_INVALID_FLAGS: "input",
      QUS_INVALID_REGISTRATION: "input",
      QUS_HOST_MATCH: "input",
      QUS_NOT_ROOT: "environment",
      QUS_NO_BINFMT_MISC: "environment",
      QUS_KERNEL_NO_F_FLAG: "environment",
      QUS_INTERPRETER_MISSING: "environment",
      QUS_ENGINE_UNREACHABLE: "environment",
      QUS_ENGINE_ROOTLESS: "environment",
      QUS_IMAGE_MISSING: "environment",
      QUS_PRIVILEGE_DENIED: "environment",
      QUS_BINFMT_DISABLED: "environment",
      QUS_NATIVE_CLAIMED: "environment",
      QUS_TMPDIR_UNUSABLE: "environment",
      QUS_PLATFORM_NOT_RUNNABLE: "environment",
      QUS_KERNEL_WRITE_FAILED: "operation",
      QUS_EXEC_FAILED: "operation",
      QUS_PERSIST_FAILED: "operation",
      QUS_IMAGE_BUILD_FAILED: "operation",
      QUS_PERSIST_CONFLICT: "operation",
      QUS_TIMEOUT: "operation",
      QUS_VERIFY_FAILED: "operation"
    }, EXIT_CODES = {
      /** Every requested platform is native, or registered as asked and verified. */
      ok: 0,
      /** Some platform is not: verification failed, or a conflict was left in place. */
      notOk: 1,
      /** Bad input or usage. */
      usage: 2,
      /** The environment cannot do it: not root, no binfmt_misc, kernel too old, no QEMU, engine unreachable. */
      environment: 3
    };
    QusError = class extends Error {
      name = "QusError";
      code;
      hint;
      constructor(code, message, options = {}) {
        super(message, options.cause === void 0 ? void 0 : { cause: options.cause }), this.code = code, this.hint = options.hint;
      }
      /** Whether the input, the environment or the operation is at fault. */
      get kind() {
        return KIND[this.code];
      }
    };
  }
});

// ../core/src/binfmt/flags.ts
function parseFlags(input) {
  let letters = input.trim().toUpperCase(), unknown = [...letters].filter((letter) => !KNOWN_FLAGS.includes(letter));
  if (unknown.length > 0)
    throw new QusError(
      "QUS_INVALID_FLAGS",
      `unknown binfmt_misc flag ${JSON.stringify(unknown.join(""))} in --flags ${JSON.stringify(input)}`,
      {
        hint: `use letters from ${KNOWN_FLAGS}: P preserve argv[0], O open binary, C credentials, F fix binary (default ${DEFAULT_FLAGS})`
      }
    );
  return [...KNOWN_FLAGS].filter((letter) => letters.includes(letter)).join("");
}
function effectiveFlags(flags) {
  let letters = new Set(flags.toUpperCase());
  return letters.has("C") && letters.add("O"), [...KNOWN_FLAGS].filter((letter) => letters.has(letter)).join("");
}
function sameFlags(a, b) {
  return effectiveFlags(a) === effectiveFlags(b);
}
var KNOWN_FLAGS, DEFAULT_FLAGS, init_flags = __esm({
  "../core/src/binfmt/flags.ts"() {
    "use strict";
    init_errors();
    KNOWN_FLAGS = "POCF", DEFAULT_FLAGS = "FC";
  }
});

// ../core/src/binfmt/register.ts
function registrationOf(entry) {
  if (!entry.magic) return;
  let flags = [...entry.flags].filter((letter) => KNOWN_FLAGS.includes(letter)).join("");
  return {
    name: entry.name,
    offset: entry.offset,
    magic: entry.magic,
    mask: entry.mask,
    interpreter: entry.interpreter,
    flags
  };
}
function renderRegister(registration) {
  return validateRegistration(registration), renderUnchecked(registration);
}
function renderUnchecked(r) {
  let mask = r.mask ? encodeEscaped(r.mask) : "", offset = r.offset === 0 ? "" : String(r.offset);
  return ["", r.name, "M", offset, encodeEscaped(r.magic), mask, r.interpreter, r.flags].join(DELIMITER);
}
function validateRegistration(r) {
  let fail = (problem, hint) => {
    throw new QusError("QUS_INVALID_REGISTRATION", `binfmt_misc entry ${JSON.stringify(r.name)}: ${problem}`, { hint });
  };
  (r.name === "" || r.name === "." || r.name === ".." || r.name === "register" || r.name === "status") && fail("the name is empty or reserved", "name the entry like qemu-<cpu>");
  for (let [field, value] of [
    ["name", r.name],
    ["interpreter", r.interpreter],
    ["flags", r.flags]
  ])
    /[:\n\0]/.test(value) && fail(`the ${field} contains ':', a newline or NUL`, `remove them from the ${field}`);
  r.name.includes("/") && fail("the name contains '/'", "name the entry like qemu-<cpu>"), r.interpreter.startsWith("/") || fail(
    `the interpreter ${JSON.stringify(r.interpreter)} is not an absolute path`,
    "give the interpreter's full path"
  ), r.interpreter.length > LIMITS.interpreter && fail(
    `the interpreter path is ${r.interpreter.length} characters, over the kernel's ${LIMITS.interpreter}`,
    "install or copy QEMU to a shorter path (see --qemu-path)"
  ), [...r.flags].some((letter) => !KNOWN_FLAGS.includes(letter)) && fail(`unknown flags ${JSON.stringify(r.flags)}`, `use letters from ${KNOWN_FLAGS}`), r.magic.length === 0 && fail("the magic is empty", "give at least one magic byte"), (!Number.isInteger(r.offset) || r.offset < 0) && fail(`the offset ${r.offset} is not a whole number \u2265 0`, "use offset 0 for ELF headers"), r.offset + r.magic.length > LIMITS.magicEnd && fail(
    `the magic ends at byte ${r.offset + r.magic.length}, beyond the first ${LIMITS.magicEnd} bytes the kernel reads`,
    "shorten the magic or lower the offset"
  ), r.mask && r.mask.length !== r.magic.length && fail(`the mask has ${r.mask.length} bytes and the magic ${r.magic.length}`, "give a mask as long as the magic");
  let length = renderUnchecked(r).length;
  length > LIMITS.registerString && fail(
    `the register string is ${length} characters, over the kernel's ${LIMITS.registerString}`,
    "shorten the magic or the interpreter path"
  );
}
var LIMITS, DELIMITER, init_register = __esm({
  "../core/src/binfmt/register.ts"() {
    "use strict";
    init_errors();
    init_escape();
    init_flags();
    LIMITS = {
      /** Whole register string. */
      registerString: 1920,
      /** Interpreter path. */
      interpreter: 127,
      /** Offset + magic length must lie within the first 128 bytes of a file. */
      magicEnd: 128
    }, DELIMITER = ":";
  }
});

// ../core/src/process-wide.ts
function processWide(name, create) {
  let store = globalThis, key = /* @__PURE__ */ Symbol.for(`qus.${name}`);
  return key in store || (store[key] = create()), store[key];
}
var init_process_wide = __esm({
  "../core/src/process-wide.ts"() {
    "use strict";
  }
});

// ../core/src/exec.ts
import { spawn } from "node:child_process";
function killRunningProcesses() {
  for (let pid of running) killGroup(pid);
}
function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
  }
}
function trimFinalNewline(text2) {
  return text2.endsWith(`
`) ? text2.slice(0, -1) : text2;
}
var DEFAULT_TIMEOUT_MS, DRAIN_MS, running, execProcess, init_exec = __esm({
  "../core/src/exec.ts"() {
    "use strict";
    init_process_wide();
    DEFAULT_TIMEOUT_MS = 6e4, DRAIN_MS = 200, running = processWide("exec.running", () => /* @__PURE__ */ new Set());
    execProcess = (file, args, options = {}) => new Promise((resolve2) => {
      let child = spawn(file, [...args], {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        stdio: [options.input === void 0 ? "ignore" : "pipe", "pipe", "pipe"],
        shell: !1,
        detached: !0
      }), pid = child.pid;
      pid !== void 0 && running.add(pid);
      let stdout = [], stderr = [], startError, timedOut = !1, exit, drain, timer = setTimeout(() => {
        timedOut = !0, pid !== void 0 && killGroup(pid);
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      child.stdout?.on("data", (chunk) => stdout.push(chunk)), child.stderr?.on("data", (chunk) => stderr.push(chunk)), child.stdin?.on("error", () => {
      });
      let settled = !1, finish = () => {
        settled || (settled = !0, clearTimeout(timer), clearTimeout(drain), pid !== void 0 && (killGroup(pid), running.delete(pid)), child.stdout?.destroy(), child.stderr?.destroy(), resolve2({
          exitCode: startError ? void 0 : exit?.code ?? void 0,
          signal: exit?.signal ?? void 0,
          stdout: trimFinalNewline(Buffer.concat(stdout).toString("utf8")),
          stderr: trimFinalNewline(Buffer.concat(stderr).toString("utf8")),
          startError,
          timedOut
        }));
      };
      child.on("error", (error) => {
        startError = error.code ?? error.message, child.pid === void 0 && finish();
      }), child.on("exit", (code, signal) => {
        exit = { code, signal }, drain = setTimeout(finish, DRAIN_MS);
      }), child.on("close", (code, signal) => {
        exit ??= { code, signal }, finish();
      }), options.input !== void 0 && child.stdin?.end(options.input);
    });
  }
});

// ../core/src/cleanup.ts
function onInterrupt(cleanup) {
  return cleanups.add(cleanup), () => cleanups.delete(cleanup);
}
function interruptCleanup() {
  killRunningProcesses();
  for (let cleanup of cleanups)
    try {
      cleanup();
    } catch {
    }
  cleanups.clear();
}
function installInterruptHandlers() {
  for (let [signal, number] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1]
  ])
    process.once(signal, () => {
      interruptCleanup(), process.stderr.write(`qus: interrupted by ${signal}; stopped its processes and removed its temporary files
`), process.exit(128 + number);
    });
}
var cleanups, init_cleanup = __esm({
  "../core/src/cleanup.ts"() {
    "use strict";
    init_exec();
    init_process_wide();
    cleanups = processWide("cleanups", () => /* @__PURE__ */ new Set());
  }
});

// ../core/src/targets.ts
function targetByCpu(cpu) {
  return BY_CPU.get(cpu);
}
function entryName(target) {
  return `qemu-${target.cpu}`;
}
function canonicalPlatform(target) {
  return target.platforms[0] ?? `linux/${target.cpu}`;
}
var ELF64_LE, ELF64_BE, ELF32_LE, ELF32_BE, MASK_LE, MASK_BE, MASK_X86, MASK_MIPS64_LE, MASK_MIPS64_BE, ZERO16, TARGETS, BY_CPU, init_targets = __esm({
  "../core/src/targets.ts"() {
    "use strict";
    ELF64_LE = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00", ELF64_BE = "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00", ELF32_LE = "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00", ELF32_BE = "\\x7fELF\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00", MASK_LE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff", MASK_BE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff", MASK_X86 = "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff", MASK_MIPS64_LE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff", MASK_MIPS64_BE = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff", ZERO16 = "\\x00".repeat(16), TARGETS = [
      {
        cpu: "aarch64",
        platforms: ["linux/arm64", "linux/arm64/v8"],
        aliases: ["arm64", "aarch64", "arm64/v8"],
        magic: `${ELF64_LE}\\xb7\\x00`,
        mask: MASK_LE,
        debianArch: "arm64",
        nodeArch: "arm64",
        machines: ["aarch64", "arm64"]
      },
      {
        cpu: "arm",
        platforms: ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm"],
        aliases: ["arm", "armhf", "armel", "arm/v7", "arm/v6", "arm/v5", "armv7", "armv7l", "armv6", "armv6l", "armv5"],
        magic: `${ELF32_LE}\\x28\\x00`,
        mask: MASK_LE,
        debianArch: "armhf",
        nodeArch: "arm",
        machines: ["armv7l", "armv6l", "armv8l"],
        compatOf: [{ host: "aarch64", usually: !1 }]
      },
      {
        cpu: "armeb",
        platforms: ["linux/armeb"],
        aliases: ["armeb", "armbe"],
        magic: `${ELF32_BE}\\x28`,
        mask: MASK_BE,
        compatOf: [{ host: "aarch64", usually: !1 }]
      },
      {
        cpu: "i386",
        platforms: ["linux/386"],
        aliases: ["386", "i386", "i686", "x86"],
        magic: `${ELF32_LE}\\x03\\x00`,
        mask: MASK_X86,
        debianArch: "i386",
        nodeArch: "ia32",
        machines: ["i686", "i586", "i386"],
        compatOf: [{ host: "x86_64", usually: !0 }]
      },
      {
        cpu: "x86_64",
        platforms: ["linux/amd64", "linux/amd64/v2", "linux/amd64/v3", "linux/amd64/v4"],
        aliases: ["amd64", "x86_64", "x86-64", "x64", "amd64/v2", "amd64/v3", "amd64/v4"],
        magic: `${ELF64_LE}\\x3e\\x00`,
        mask: MASK_X86,
        debianArch: "amd64",
        nodeArch: "x64",
        machines: ["x86_64", "amd64"]
      },
      {
        cpu: "ppc64le",
        platforms: ["linux/ppc64le"],
        aliases: ["ppc64le", "ppc64el", "powerpc64le"],
        magic: `${ELF64_LE}\\x15\\x00`,
        mask: "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\x00",
        debianArch: "ppc64el",
        nodeArch: "ppc64",
        machines: ["ppc64le"]
      },
      {
        cpu: "ppc64",
        platforms: ["linux/ppc64"],
        aliases: ["ppc64", "powerpc64"],
        magic: `${ELF64_BE}\\x15`,
        mask: MASK_BE,
        machines: ["ppc64"],
        compatOf: [{ host: "ppc64le", usually: !1 }]
      },
      {
        cpu: "s390x",
        platforms: ["linux/s390x"],
        aliases: ["s390x"],
        magic: `${ELF64_BE}\\x16`,
        mask: MASK_BE,
        debianArch: "s390x",
        nodeArch: "s390x",
        machines: ["s390x"]
      },
      {
        cpu: "riscv64",
        platforms: ["linux/riscv64"],
        aliases: ["riscv64", "rv64"],
        magic: `${ELF64_LE}\\xf3\\x00`,
        mask: MASK_LE,
        debianArch: "riscv64",
        nodeArch: "riscv64",
        machines: ["riscv64"]
      },
      {
        cpu: "mips64el",
        platforms: ["linux/mips64le"],
        aliases: ["mips64le", "mips64el"],
        magic: `${ELF64_LE}\\x08\\x00`,
        mask: MASK_MIPS64_LE,
        debianArch: "mips64el",
        machines: ["mips64el"]
      },
      {
        cpu: "mips64",
        platforms: ["linux/mips64"],
        aliases: ["mips64"],
        magic: `${ELF64_BE}\\x08`,
        mask: MASK_MIPS64_BE,
        machines: ["mips64"]
      },
      {
        cpu: "mipsel",
        platforms: ["linux/mipsle"],
        aliases: ["mipsle", "mipsel"],
        // 40 bytes: the flags word tells o32 from n32 (EF_MIPS_ABI2 must be clear).
        magic: `${ELF32_LE}\\x08\\x00\\x01\\x00\\x00\\x00${ZERO16}`,
        mask: `${MASK_MIPS64_LE}\\xff\\xff\\xff\\xff${"\\x00".repeat(12)}\\x20\\x00\\x00\\x00`,
        nodeArch: "mipsel",
        compatOf: [{ host: "mips64el", usually: !1 }]
      },
      {
        cpu: "mips",
        platforms: ["linux/mips"],
        aliases: ["mips"],
        magic: `${ELF32_BE}\\x08\\x00\\x00\\x00\\x01${ZERO16}`,
        mask: `${MASK_MIPS64_BE}\\xff\\xff\\xff\\xff${"\\x00".repeat(12)}\\x00\\x00\\x00\\x20`,
        nodeArch: "mips",
        compatOf: [{ host: "mips64", usually: !1 }]
      },
      {
        cpu: "loongarch64",
        platforms: ["linux/loong64"],
        aliases: ["loong64", "loongarch64"],
        magic: `${ELF64_LE}\\x02\\x01`,
        mask: "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
        debianArch: "loong64",
        nodeArch: "loong64",
        machines: ["loongarch64"]
      },
      {
        cpu: "sparc64",
        platforms: ["linux/sparc64"],
        aliases: ["sparc64"],
        magic: `${ELF64_BE}\\x2b`,
        mask: MASK_BE,
        machines: ["sparc64"]
      }
    ], BY_CPU = new Map(TARGETS.map((t) => [t.cpu, t]));
  }
});

// ../core/src/architectures.ts
function cpuOfMachine(machine) {
  return BY_MACHINE.get(machine);
}
function cpuOfEngineArch(arch) {
  return cpuOfMachine(arch) ?? TARGETS.find((target) => target.platforms.some((platform) => platform.split("/")[1] === arch))?.cpu;
}
function hostCpu(arch = process.arch) {
  return BY_NODE_ARCH.get(arch);
}
function nativeCandidates(host) {
  return TARGETS.filter((target) => target.compatOf?.some((mode) => mode.host === host)).map((target) => target.cpu);
}
function usuallyNative(host, cpu) {
  return TARGETS.find((candidate) => candidate.cpu === cpu)?.compatOf?.some((mode) => mode.host === host && mode.usually) ?? !1;
}
var BY_NODE_ARCH, BY_MACHINE, KNOWN_MACHINES, init_architectures = __esm({
  "../core/src/architectures.ts"() {
    "use strict";
    init_targets();
    BY_NODE_ARCH = new Map(TARGETS.flatMap((target) => target.nodeArch ? [[target.nodeArch, target.cpu]] : [])), BY_MACHINE = new Map(TARGETS.flatMap((target) => (target.machines ?? []).map((name) => [name, target.cpu]))), KNOWN_MACHINES = [...BY_MACHINE.keys()];
  }
});

// ../core/src/shell-quote.ts
function quoteShellArg(arg) {
  return SAFE_WORD.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
function formatCommand(argv) {
  return argv.map(quoteShellArg).join(" ");
}
var SAFE_WORD, init_shell_quote = __esm({
  "../core/src/shell-quote.ts"() {
    "use strict";
    SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
  }
});

// ../core/src/runner/cli-runner.ts
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
function helperContainerName() {
  return `${CONTAINER_NAME_PREFIX}${randomBytes(6).toString("hex")}`;
}
function describeCliPrivilege(privilege) {
  return privilege === "full" ? "--privileged" : "--cap-add SYS_ADMIN";
}
function privilegeArgs(spec, confinement) {
  return spec.privilege === "full" ? ["--privileged"] : spec.needsBinfmtMount ? [
    "--cap-add=SYS_ADMIN",
    ...confinement.apparmor ? ["--security-opt=apparmor=unconfined"] : [],
    ...confinement.selinux ? ["--security-opt=label=disable"] : []
  ] : [];
}
function runArgs(spec, confinement, name) {
  return ["run", "--rm", "--interactive", ...nameArgs(name), ...containerOptions(spec, confinement)];
}
function createArgs(spec, confinement, name) {
  return [
    "create",
    ...nameArgs(name),
    ...containerOptions({ ...spec, command: [], entrypoint: PROGRAM_PATH }, confinement)
  ];
}
function nameArgs(name) {
  return name ? [`--name=${name}`] : [];
}
function containerOptions(spec, confinement) {
  return [
    "--network=none",
    "--pull=never",
    ...privilegeArgs(spec, confinement),
    ...spec.platform ? [`--platform=${spec.platform}`] : [],
    ...spec.entrypoint !== void 0 ? [`--entrypoint=${spec.entrypoint}`] : [],
    // The image is never read as an option, whatever it starts with.
    "--",
    spec.image,
    ...spec.command
  ];
}
function buildArgs(contextDir, tags) {
  return ["build", ...tags.flatMap((tag) => ["--tag", tag]), "--", contextDir];
}
function engineTimeoutFromEnv(env = process.env) {
  let text2 = env[ENGINE_TIMEOUT_ENV];
  if (text2 === void 0 || text2.trim() === "") return;
  let seconds2 = Number(text2);
  if (!Number.isFinite(seconds2) || seconds2 <= 0 || seconds2 > 3600)
    throw new QusError(
      "QUS_USAGE",
      `${ENGINE_TIMEOUT_ENV} must be a number of seconds from 0 to 3600, not ${JSON.stringify(text2)}`,
      {
        hint: `unset it for the default of ${DEFAULT_ENGINE_TIMEOUT_MS / 1e3} s, or set for example ${ENGINE_TIMEOUT_ENV}=60`
      }
    );
  return seconds2 * 1e3;
}
function unreachable(endpoint2, detail, hint) {
  return new QusError(
    "QUS_ENGINE_UNREACHABLE",
    `cannot reach the container engine at ${endpoint2}: ${oneLine(detail)}`,
    {
      hint
    }
  );
}
function oneLine(detail) {
  let line = detail.trim().split(`
`).filter(Boolean).join(" ").replace(/\s+/g, " ");
  return line.length > 300 ? `${line.slice(0, 300)}...` : line || "no error message";
}
function excerpt(text2) {
  return text2.trim() ? JSON.stringify(text2.trim().slice(0, 120)) : "nothing";
}
function unreadableInfo(name, text2) {
  return new QusError("QUS_EXEC_FAILED", `${name} info printed what qus cannot read: ${excerpt(text2)}`, {
    hint: `check that \`${name}\` is the ${name} client (${name} version)`
  });
}
function parseInfoObject(name, json2) {
  let value;
  try {
    value = JSON.parse(json2);
  } catch {
    throw unreadableInfo(name, json2);
  }
  if (value === null) return {};
  if (typeof value != "object" || Array.isArray(value)) throw unreadableInfo(name, json2);
  return value;
}
function describeRunFailure(result) {
  let lines = (result.stderr.trim() || result.stdout.trim()).split(`
`).map((line) => line.trim()).filter((line) => line && !/^Run '.*--help' for more information$/.test(line)).slice(-3).join(" ");
  return lines ? oneLine(lines) : result.timedOut ? "it did not finish in time and was stopped" : result.signal ? `it was killed by ${result.signal}` : result.startError ? `it could not be started (${result.startError})` : `it exited with status ${result.exitCode ?? "unknown"} and printed nothing`;
}
function createCliRunner(engine, options = {}) {
  let exec = options.exec ?? execProcess, { name, program, target, endpoint: endpoint2 } = engine;
  if (target !== void 0 && target.value.trim() === "")
    throw new QusError("QUS_USAGE", `the ${target.noun} name is empty`, {
      hint: `name one that ${formatCommand(target.list)} lists, or leave --context out for the default`
    });
  let global = target !== void 0 ? [target.option, target.value] : [], engineTimeoutMs = options.engineTimeoutMs ?? engineTimeoutFromEnv() ?? DEFAULT_ENGINE_TIMEOUT_MS, runTimeoutMs = options.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS, buildTimeoutMs = options.buildTimeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS, register2 = options.onInterrupt ?? onInterrupt, seconds2 = (ms) => `${Math.round(ms / 100) / 10} s`, line = (args) => formatCommand([name, ...global, ...args]), what = (args) => `\`${formatCommand([name, ...args])}\``, facts;
  async function command(args, timeoutMs, doing) {
    let result = await exec(program, [...global, ...args], { timeoutMs });
    if (result.startError === "ENOENT")
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the ${name} client (${program}) is not installed`, {
        hint: engine.hints.install
      });
    if (result.startError)
      throw new QusError("QUS_EXEC_FAILED", `could not start the ${name} client (${program}): ${result.startError}`);
    let failure = engine.endpointFailure(result, doing);
    if (failure) throw failure;
    return result;
  }
  async function engineCall(args) {
    let doing = what(args.slice(0, args[0] === "image" ? 2 : 1)), result = await command(args, engineTimeoutMs, doing);
    if (result.timedOut)
      throw unreachable(
        endpoint2,
        `${doing} did not answer within ${seconds2(engineTimeoutMs)}`,
        `check that the engine answers (${line(["info"])}); for a slow remote engine allow more time, for example ${ENGINE_TIMEOUT_ENV}=60`
      );
    return result;
  }
  async function queryFacts() {
    let result = await engineCall(engine.infoArgs);
    if (!result.stdout.trim().startsWith("{"))
      throw result.exitCode === 0 ? unreadableInfo(name, result.stdout) : unreachable(endpoint2, `${what(["info"])} failed: ${describeRunFailure(result)}`, engine.hints.unreachable);
    return engine.parseInfo(result.stdout, endpoint2);
  }
  function engineFacts() {
    return facts ??= queryFacts().catch((error) => {
      throw facts = void 0, error;
    }), facts;
  }
  async function confinementFor(spec) {
    return spec.privilege === "full" || !spec.needsBinfmtMount ? { apparmor: !1, selinux: !1 } : (await engineFacts()).confinement;
  }
  async function removeContainer(container) {
    try {
      await command(["rm", "--force", "--", container], engineTimeoutMs, what(["rm"]));
    } catch {
    }
  }
  async function withContainer(container, body) {
    let unregister = register2(() => {
      spawnSync(program, [...global, "rm", "--force", "--", container], { stdio: "ignore", timeout: 1e4 });
    });
    try {
      return await body();
    } finally {
      unregister();
    }
  }
  return {
    name,
    endpoint: endpoint2,
    info: async () => (await engineFacts()).info,
    describePrivilege: describeCliPrivilege,
    async imageLabels(image) {
      let result = await engineCall(["image", "inspect", "--format", "{{json .Config.Labels}}", "--", image]);
      if (result.exitCode !== 0) {
        if (engine.noSuchImage.test(result.stderr)) return;
        throw new QusError(
          "QUS_EXEC_FAILED",
          `could not inspect the image ${image} on the engine at ${endpoint2}: ${describeRunFailure(result)}`
        );
      }
      let labels;
      try {
        labels = JSON.parse(result.stdout || "null");
      } catch {
        labels = void 0;
      }
      if (labels === null) return {};
      if (typeof labels != "object" || Array.isArray(labels) || labels === void 0)
        throw new QusError(
          "QUS_EXEC_FAILED",
          `${name} image inspect printed labels qus cannot read for ${image}: ${excerpt(result.stdout)}`
        );
      return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
    },
    async run(spec) {
      let container = helperContainerName(), args = runArgs(spec, await confinementFor(spec), container);
      return withContainer(container, async () => {
        let result = await command(args, spec.timeoutMs ?? runTimeoutMs, what(["run"]));
        return result.exitCode !== 0 && await removeContainer(container), result;
      });
    },
    async runProgram(spec, bytes) {
      let container = helperContainerName(), confinement = await confinementFor(spec);
      return withContainer(container, async () => {
        let dir = mkdtempSync(join(tmpdir(), "qus-program-"));
        try {
          let created = await engineCall(createArgs(spec, confinement, container));
          if (created.exitCode !== 0) return created;
          let file = join(dir, "program");
          writeFileSync(file, bytes), chmodSync(file, 493);
          let copied = await engineCall(["cp", file, `${container}:${PROGRAM_PATH}`]);
          return copied.exitCode !== 0 ? copied : await command(["start", "--attach", "--", container], spec.timeoutMs ?? runTimeoutMs, what(["start"]));
        } finally {
          rmSync(dir, { recursive: !0, force: !0 }), await removeContainer(container);
        }
      });
    },
    async pull(image) {
      let result = await command(["pull", "--quiet", "--", image], pullTimeoutMs, what(["pull"]));
      return result.exitCode === 0 && !result.timedOut;
    },
    async buildImage(spec) {
      let args = buildArgs(spec.contextDir, spec.tags), timeoutMs = spec.timeoutMs ?? buildTimeoutMs, result = await command(args, timeoutMs, what(["build"]));
      if (result.timedOut)
        throw new QusError("QUS_TIMEOUT", `${line(args)} did not finish within ${seconds2(timeoutMs)}`, {
          hint: engine.hints.buildTimeout
        });
      if (result.exitCode !== 0)
        throw new QusError(
          "QUS_IMAGE_BUILD_FAILED",
          `${name} build of ${spec.tags[0] ?? spec.contextDir} on the engine at ${endpoint2} failed: ${describeRunFailure(result)}`,
          { hint: "check that the engine is running and has room for the image" }
        );
    }
  };
}
var DEFAULT_ENGINE_TIMEOUT_MS, DEFAULT_RUN_TIMEOUT_MS, DEFAULT_PULL_TIMEOUT_MS, DEFAULT_BUILD_TIMEOUT_MS, ENGINE_TIMEOUT_ENV, CONTAINER_NAME_PREFIX, PROGRAM_PATH, init_cli_runner = __esm({
  "../core/src/runner/cli-runner.ts"() {
    "use strict";
    init_cleanup();
    init_errors();
    init_exec();
    init_shell_quote();
    DEFAULT_ENGINE_TIMEOUT_MS = 15e3, DEFAULT_RUN_TIMEOUT_MS = 12e4, DEFAULT_PULL_TIMEOUT_MS = 3e5, DEFAULT_BUILD_TIMEOUT_MS = 6e5, ENGINE_TIMEOUT_ENV = "QUS_ENGINE_TIMEOUT", CONTAINER_NAME_PREFIX = "qus-helper-", PROGRAM_PATH = "/qus-program";
  }
});

// ../core/src/runner/docker-cli.ts
function describeEndpoint(context, env = process.env) {
  return context !== void 0 ? `context ${quoteShellArg(context)}` : env.DOCKER_HOST ? env.DOCKER_HOST : env.DOCKER_CONTEXT ? `context ${quoteShellArg(env.DOCKER_CONTEXT)}` : "the default endpoint";
}
function parseDockerInfo(json2, endpoint2) {
  return dockerInfoFacts(parseInfoObject("docker", json2), endpoint2);
}
function dockerInfoFacts(info, endpoint2) {
  if (!info.ServerVersion)
    throw unreachable(endpoint2, info.ServerErrors?.join("; ") || "docker info reported no server", UNREACHABLE_HINT);
  let options = Array.isArray(info.SecurityOptions) ? info.SecurityOptions : [], has = (name) => options.some((option) => String(option).split(",").includes(`name=${name}`)), architecture = info.Architecture || "unknown";
  return {
    info: {
      cpu: cpuOfMachine(architecture),
      architecture,
      version: info.ServerVersion,
      rootless: has("rootless"),
      userns: has("userns"),
      endpoint: endpoint2
    },
    confinement: { apparmor: has("apparmor"), selinux: has("selinux") }
  };
}
function dockerEndpointFailure(context, endpoint2, result, what) {
  let text2 = `${result.stderr}
${result.exitCode === 0 ? "" : result.stdout}`, found = CONTEXT_NOT_FOUND.exec(text2);
  if (found) {
    let name = context ?? process.env.DOCKER_CONTEXT ?? found[1] ?? "", from = context !== void 0 ? "" : process.env.DOCKER_CONTEXT ? " (from DOCKER_CONTEXT)" : "";
    return new QusError("QUS_USAGE", `the docker context ${quoteShellArg(name)}${from} does not exist`, {
      hint: `list the contexts with ${formatCommand(["docker", "context", "ls"])} and pass one of them with --context`
    });
  }
  if (BAD_HOST.test(text2))
    return new QusError(
      "QUS_USAGE",
      `docker cannot use the engine address ${endpoint2}: ${describeRunFailure(result)}`,
      {
        hint: "set DOCKER_HOST to unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST, or unset it"
      }
    );
  if (result.exitCode !== 0 && CANNOT_CONNECT.test(text2))
    return unreachable(endpoint2, `${what} failed: ${describeRunFailure(result)}`, UNREACHABLE_HINT);
  if (result.exitCode !== 0 && CONNECTION_LOST.test(text2))
    return unreachable(
      endpoint2,
      `the connection broke during ${what}: ${describeRunFailure(result)}`,
      "check the engine and the way to it; a helper container left behind ends within its time bound and removes itself (--rm)"
    );
}
function createDockerCliRunner(options = {}) {
  let { context } = options, endpoint2 = describeEndpoint(context), target = context === void 0 ? void 0 : { option: "--context", noun: "docker context", value: context };
  return createCliRunner(
    {
      ...DOCKER,
      program: options.docker ?? "docker",
      target: target && { ...target, list: ["docker", "context", "ls"] },
      endpoint: endpoint2,
      endpointFailure: (result, what) => dockerEndpointFailure(context, endpoint2, result, what)
    },
    options
  );
}
var UNREACHABLE_HINT, CONTEXT_NOT_FOUND, BAD_HOST, CANNOT_CONNECT, CONNECTION_LOST, DOCKER, init_docker_cli = __esm({
  "../core/src/runner/docker-cli.ts"() {
    "use strict";
    init_architectures();
    init_errors();
    init_shell_quote();
    init_cli_runner();
    UNREACHABLE_HINT = "start the engine (dockerd), or point DOCKER_HOST / --context at a running one";
    CONTEXT_NOT_FOUND = /context "((?:[^"\\]|\\.)*)"(?::)? (?:context not found|does not exist)/i, BAD_HOST = /invalid bind address format|unable to parse docker host/i, CANNOT_CONNECT = /Cannot connect to the Docker daemon|error during connect|Failed to initialize/i, CONNECTION_LOST = /error waiting for container|level=error msg="[^"]*(?:EOF|connection reset|broken pipe)/i;
    DOCKER = {
      name: "docker",
      hints: {
        install: "install the docker CLI, or use --driver local on the machine that runs the builds",
        unreachable: UNREACHABLE_HINT,
        buildTimeout: "BuildKit may be held by a hung emulator's platform check (qus verify --platforms all shows it); fix that entry, or retry with DOCKER_BUILDKIT=0"
      },
      infoArgs: ["info", "--format", "{{json .}}"],
      parseInfo: parseDockerInfo,
      noSuchImage: /no such image|no such object/i
    };
  }
});

// ../core/src/probe/code.ts
function words(littleEndian, ...insns) {
  let out = new Uint8Array(insns.length * 4), view = new DataView(out.buffer);
  for (let [i, insn] of insns.entries()) view.setUint32(i * 4, insn >>> 0, littleEndian);
  return out;
}
var LE, BE, EM_386, EM_MIPS, EM_PPC64, EM_S390, EM_ARM, EM_SPARCV9, EM_X86_64, EM_AARCH64, EM_RISCV, EM_LOONGARCH, EF_ARM_EABI_VER5, EF_PPC64_ELFV2, EF_MIPS_ABI_O32, EF_MIPS_ARCH_32R2, EF_MIPS_ARCH_64R2, EF_RISCV_RVC_DOUBLE, EF_LOONGARCH_LP64D_OBJV1, arm, ppc64, mipsO32, mipsN64, EXIT_CODE, init_code = __esm({
  "../core/src/probe/code.ts"() {
    "use strict";
    LE = !0, BE = !1, EM_386 = 3, EM_MIPS = 8, EM_PPC64 = 21, EM_S390 = 22, EM_ARM = 40, EM_SPARCV9 = 43, EM_X86_64 = 62, EM_AARCH64 = 183, EM_RISCV = 243, EM_LOONGARCH = 258, EF_ARM_EABI_VER5 = 83886080, EF_PPC64_ELFV2 = 2, EF_MIPS_ABI_O32 = 4096, EF_MIPS_ARCH_32R2 = 1879048192, EF_MIPS_ARCH_64R2 = 2147483648, EF_RISCV_RVC_DOUBLE = 5, EF_LOONGARCH_LP64D_OBJV1 = 67, arm = (le) => (s) => words(le, 3818942712, 3818913792 | s, 4009754624), ppc64 = (le) => (s) => words(le, 939524330, 945815552 | s, 1140850690), mipsO32 = (le) => (s) => words(le, 604115094, 604241920 | s, 12), mipsN64 = (le) => (s) => words(le, 604116053, 604241920 | s, 12), EXIT_CODE = {
      // movz x8, #94 (exit_group); movz x0, #s; svc #0
      aarch64: {
        elfClass: 64,
        littleEndian: LE,
        machine: EM_AARCH64,
        flags: 0,
        code: (s) => words(LE, 3531606984, 3531603968 | s << 5, 3556769793)
      },
      // mov r7, #248 (exit_group); mov r0, #s; svc #0  (EABI: number in r7)
      arm: { elfClass: 32, littleEndian: LE, machine: EM_ARM, flags: EF_ARM_EABI_VER5, code: arm(LE) },
      // same, BE32: big-endian data and instructions (no EF_ARM_BE8)
      armeb: { elfClass: 32, littleEndian: BE, machine: EM_ARM, flags: EF_ARM_EABI_VER5, code: arm(BE) },
      // mov eax, 252 (exit_group); mov ebx, s; int 0x80
      i386: {
        elfClass: 32,
        littleEndian: LE,
        machine: EM_386,
        flags: 0,
        code: (s) => Uint8Array.of(184, 252, 0, 0, 0, 187, s, 0, 0, 0, 205, 128)
      },
      // mov eax, 231 (exit_group); mov edi, s; syscall
      x86_64: {
        elfClass: 64,
        littleEndian: LE,
        machine: EM_X86_64,
        flags: 0,
        code: (s) => Uint8Array.of(184, 231, 0, 0, 0, 191, s, 0, 0, 0, 15, 5)
      },
      // li r0, 234 (exit_group); li r3, s; sc
      ppc64: { elfClass: 64, littleEndian: BE, machine: EM_PPC64, flags: EF_PPC64_ELFV2, code: ppc64(BE) },
      ppc64le: { elfClass: 64, littleEndian: LE, machine: EM_PPC64, flags: EF_PPC64_ELFV2, code: ppc64(LE) },
      // lghi %r2, s; svc 248 (exit_group)
      s390x: {
        elfClass: 64,
        littleEndian: BE,
        machine: EM_S390,
        flags: 0,
        code: (s) => Uint8Array.of(167, 41, 0, s, 10, 248)
      },
      // li a7, 93 (exit_group); li a0, s; ecall
      riscv64: {
        elfClass: 64,
        littleEndian: LE,
        machine: EM_RISCV,
        flags: EF_RISCV_RVC_DOUBLE,
        code: (s) => words(LE, 97519763, 1299 | s << 20, 115)
      },
      // li v0, 4246 (o32 exit_group); li a0, s; syscall
      mips: {
        elfClass: 32,
        littleEndian: BE,
        machine: EM_MIPS,
        flags: EF_MIPS_ABI_O32 | EF_MIPS_ARCH_32R2,
        code: mipsO32(BE)
      },
      mipsel: {
        elfClass: 32,
        littleEndian: LE,
        machine: EM_MIPS,
        flags: EF_MIPS_ABI_O32 | EF_MIPS_ARCH_32R2,
        code: mipsO32(LE)
      },
      // li v0, 5205 (n64 exit_group); li a0, s; syscall
      mips64: { elfClass: 64, littleEndian: BE, machine: EM_MIPS, flags: EF_MIPS_ARCH_64R2, code: mipsN64(BE) },
      mips64el: { elfClass: 64, littleEndian: LE, machine: EM_MIPS, flags: EF_MIPS_ARCH_64R2, code: mipsN64(LE) },
      // addi.w $a7, $zero, 94 (exit_group); addi.w $a0, $zero, s; syscall 0
      loongarch64: {
        elfClass: 64,
        littleEndian: LE,
        machine: EM_LOONGARCH,
        flags: EF_LOONGARCH_LP64D_OBJV1,
        code: (s) => words(LE, 42039307, 41943044 | s << 10, 2818048)
      },
      // mov 188, %g1 (exit_group); mov s, %o0; ta 0x6d (64-bit syscall trap)
      sparc64: {
        elfClass: 64,
        littleEndian: BE,
        machine: EM_SPARCV9,
        flags: 0,
        code: (s) => words(BE, 2182095036, 2416975872 | s, 2446336109)
      }
    };
  }
});

// ../core/src/probe/elf.ts
function writeElf(spec) {
  let is64 = spec.elfClass === 64, size = SIZES[spec.elfClass], codeOffset = size.eh + size.ph, total = codeOffset + spec.code.length, out = new Uint8Array(total), view = new DataView(out.buffer), le = spec.littleEndian, addr = (offset, value) => is64 ? view.setBigUint64(offset, BigInt(value), le) : view.setUint32(offset, value, le);
  out.set([127, 69, 76, 70, is64 ? 2 : 1, le ? 1 : 2, 1], 0), view.setUint16(16, 2, le), view.setUint16(18, spec.machine, le), view.setUint32(20, 1, le), addr(24, 4194304 + codeOffset), addr(is64 ? 32 : 28, size.eh);
  let rest = is64 ? 48 : 36;
  view.setUint32(rest, spec.flags, le), view.setUint16(rest + 4, size.eh, le), view.setUint16(rest + 6, size.ph, le), view.setUint16(rest + 8, 1, le), view.setUint16(rest + 10, size.sh, le);
  let ph = size.eh;
  view.setUint32(ph, 1, le), view.setUint32(ph + (is64 ? 4 : 24), 5, le);
  let fields = [
    [0, 0],
    [1, 4194304],
    [2, 4194304],
    [3, total],
    [4, total],
    [5, 65536]
  ];
  for (let [index, value] of fields) {
    let at = is64 ? 8 + index * 8 : index === 5 ? 28 : 4 + index * 4;
    addr(ph + at, value);
  }
  return out.set(spec.code, codeOffset), out;
}
var SIZES, init_elf = __esm({
  "../core/src/probe/elf.ts"() {
    "use strict";
    SIZES = { 32: { eh: 52, ph: 32, sh: 40 }, 64: { eh: 64, ph: 56, sh: 64 } };
  }
});

// ../core/src/probe/index.ts
function buildExitProgram(cpu, status3) {
  let entry = EXIT_CODE[cpu];
  if (!entry) throw new Error(`no probe for cpu ${JSON.stringify(cpu)}`);
  if (!Number.isInteger(status3) || status3 < 0 || status3 > 255)
    throw new RangeError(`exit status ${status3} not in 0..255`);
  let { code, ...identity } = entry;
  return writeElf({ ...identity, code: code(status3) });
}
function buildProbe(cpu) {
  let probe = probes.get(cpu);
  return probe || (probe = buildExitProgram(cpu, 0), probes.set(cpu, probe)), probe.slice();
}
var PROBE_CPUS, probes, init_probe = __esm({
  "../core/src/probe/index.ts"() {
    "use strict";
    init_code();
    init_elf();
    PROBE_CPUS = Object.keys(EXIT_CODE);
    probes = /* @__PURE__ */ new Map();
  }
});

// ../core/src/plan.ts
function targetPattern(target) {
  return { offset: 0, magic: decodeEscaped(target.magic), mask: decodeEscaped(target.mask) };
}
function wantedRegistration(target, interpreter, flags) {
  return { name: entryName(target), ...targetPattern(target), interpreter, flags };
}
function plan(input) {
  return input.targets.map((target) => planTarget(target, input));
}
function planTarget(target, input) {
  let name = entryName(target);
  if (input.native.has(target.cpu))
    return { target, action: "native", remove: [], reasons: ["runs natively on this machine"] };
  let pattern = targetPattern(target), existing = input.entries.find((entry) => entry.name === name), others = input.entries.filter(
    (entry) => entry.name !== name && entry.enabled && overlaps(pattern, entryPattern(entry))
  ), interpreter = input.interpreters.get(target.cpu), differences = existing ? existing.opaque ? opaqueDifferences(input.probes?.get(target.cpu)?.ok) : entryDifferences(existing, pattern, input.flags, interpreter?.path) : [], reasons = [
    ...differences,
    ...others.map((entry) => `entry ${entry.name} (${entry.interpreter}) also claims these binaries`)
  ], alsoServed = others.flatMap((entry) => alsoServedBy(entry, target)), base = { target, existing };
  if (!existing && others.length === 0)
    return interpreter ? {
      ...base,
      action: "register",
      remove: [],
      register: wantedRegistration(target, interpreter.path, input.flags),
      reasons
    } : missingInterpreter(base, reasons);
  if (!existing || differences.length > 0 || others.length > 0) {
    if (!input.replace) return { ...base, action: "conflict", remove: [], reasons: [...reasons, ...alsoServed] };
    let needsRegistration = !existing || differences.length > 0;
    return needsRegistration && !interpreter ? missingInterpreter(base, reasons) : {
      ...base,
      action: "replace",
      alsoServed: alsoServed.length > 0 ? alsoServed : void 0,
      remove: [...existing && needsRegistration ? [name] : [], ...others.map((entry) => entry.name)],
      register: needsRegistration && interpreter ? wantedRegistration(target, interpreter.path, input.flags) : void 0,
      enable: existing && !needsRegistration && !existing.enabled ? name : void 0,
      reasons
    };
  }
  return existing.enabled ? { ...base, action: "ok", remove: [], reasons: [] } : { ...base, action: "enable", remove: [], enable: name, reasons: ["entry is disabled"] };
}
function alsoServedBy(entry, target) {
  let pattern = entryPattern(entry);
  if (!pattern) return [];
  let served = TARGETS.filter(
    (other) => other.cpu !== target.cpu && matchesHeader(pattern, buildProbe(other.cpu))
  ).map(canonicalPlatform);
  return served.length === 0 ? [] : [
    `${entry.name} (${entry.interpreter}) also serves ${served.join(", ")}: replacing it for ${canonicalPlatform(target)} stops them`
  ];
}
function opaqueDifferences(verified2) {
  return verified2 ? [] : ["its contents cannot be read here and its probe failed"];
}
function missingInterpreter(base, reasons) {
  let reason = `no qemu-${base.target.cpu} interpreter found`;
  return { ...base, action: "missing-interpreter", remove: [], reasons: [...reasons, reason] };
}
function overlaps(pattern, other) {
  return other !== void 0 && patternsOverlap(pattern, other);
}
function entryDifferences(entry, pattern, flags, interpreter) {
  let differences = [];
  if (entry.offset === pattern.offset && entry.magic !== void 0 && sameBytes(entry.magic, pattern.magic) && sameBytes(entry.mask ?? new Uint8Array(entry.magic.length).fill(255), pattern.mask ?? new Uint8Array()) || differences.push("magic or mask differs from QEMU's"), !sameFlags(entry.flags, flags)) {
    let missingF = flags.includes("F") && !entry.flags.includes("F");
    differences.push(
      `flags ${entry.flags || "(none)"} instead of ${flags}${missingF ? ": without F it fails inside containers and chroots" : ""}`
    );
  }
  return interpreter !== void 0 && entry.interpreter !== interpreter && differences.push(`interpreter ${entry.interpreter} instead of ${interpreter}`), differences;
}
function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
function changesKernel(step) {
  return step.remove.length > 0 || step.enable !== void 0 || step.register !== void 0;
}
var init_plan = __esm({
  "../core/src/plan.ts"() {
    "use strict";
    init_entry();
    init_escape();
    init_flags();
    init_match();
    init_probe();
    init_targets();
  }
});

// ../core/src/drivers/native-policy.ts
function nativeFinding(run) {
  return run.ok ? { verdict: "native" } : run.chrooted && run.failure === "no-handler" ? { verdict: "foreign" } : { verdict: "unknown", detail: run.reason };
}
function decideNative(host, cpu, finding, claimed) {
  return finding.verdict === "foreign" ? { native: !1, hostClaimed: !1, provenForeign: !0 } : finding.verdict === "native" ? { native: !0, reason: "runs natively without emulation", hostClaimed: claimed } : usuallyNative(host, cpu) ? { native: !0, reason: `runs natively on ${host} machines (its compat mode)`, hostClaimed: claimed } : claimed ? { native: !1, hostClaimed: !1 } : {
    native: !0,
    reason: `could not tell whether it runs natively here${finding.detail ? ` (its probe: ${finding.detail})` : ""}: not registering an emulator for the host's own compat mode`,
    hostClaimed: !1
  };
}
function registeredMeanwhile(now, wanted) {
  return now ? entryDifferences(now, wanted, wanted.flags, wanted.interpreter).length === 0 ? "same" : "different" : "gone";
}
function judgeNative(host, cpu, unclaimedRun, claimed) {
  return nativeCandidates(host).includes(cpu) ? decideNative(
    host,
    cpu,
    claimed || !unclaimedRun ? { verdict: "unknown" } : nativeFinding(unclaimedRun),
    claimed
  ) : unclaimedRun?.ok && !claimed ? { native: !0, reason: "runs natively without emulation", hostClaimed: !1 } : { native: !1, hostClaimed: !1 };
}
function mayEmulate(host, cpu, provenForeign) {
  return !nativeCandidates(host).includes(cpu) || provenForeign.has(cpu);
}
var init_native_policy = __esm({
  "../core/src/drivers/native-policy.ts"() {
    "use strict";
    init_architectures();
    init_plan();
  }
});

// ../core/src/report/probe-words.ts
function describeFailure(context) {
  let { failure, detail, entry } = context, interpreter = entry?.interpreter ? ` (${entry.interpreter})` : "";
  switch (failure) {
    case "timeout":
      return `timed out: the emulator hung${interpreter}`;
    case "crashed":
      return `killed by ${detail ?? "a signal"}: the emulator crashed${interpreter}`;
    case "no-handler":
      return entry?.enabled ? context.interpreterFile === "script" ? `exec format error: the interpreter ${entry.interpreter} of ${entry.name} is a script, whose own interpreter (#!) is not there inside containers and chroots` : context.interpreterFile === "foreign" ? `exec format error: the interpreter ${entry.interpreter} of ${entry.name} is not a program this machine can run` : `exec format error although ${entry.name} claims this architecture: its interpreter ${entry.interpreter} could not run the program` : "exec format error: no binfmt_misc handler claims this architecture";
    case "interpreter-unreachable":
      return context.chrooted === !1 ? `runs only outside containers: ${entry?.name ?? "the entry"} has no F flag, so its interpreter is not reachable inside containers and chroots` : entry?.flags.includes("F") ? context.interpreterFile === "dynamic" ? `ENOENT: the interpreter ${entry.interpreter} is dynamically linked: with the F flag the kernel opens it, but its loader and libraries are not inside containers and chroots` : `ENOENT: the interpreter ${entry.interpreter} could not be loaded inside a chroot${detail ? `: ${detail}` : ""}` : entry ? `ENOENT: the interpreter ${entry.interpreter} is not reachable inside a chroot: ${entry.name} has no F flag` : "ENOENT: the interpreter is not reachable inside a chroot (an entry without the F flag, or a dynamically linked interpreter)";
    case "exit-status":
      return `the probe ${detail?.startsWith("could not start") ? detail : `exited with ${detail ?? "a failure"}`}`;
  }
}
function failureHint(context) {
  let platform = context.platform ?? "PLATFORM", replace = formatCommand(["qus", "ensure", "--replace", "--platforms", platform]), register2 = formatCommand(["qus", "ensure", "--platforms", platform]);
  switch (context.failure) {
    case "timeout":
      return `this emulator hangs, and BuildKit's own platform check in dockerd hangs on it too: install another QEMU build (qemu-user-static) and run ${replace}`;
    case "crashed":
      return `this QEMU build cannot run the probe: install another qemu-user-static and run ${replace}`;
    case "no-handler":
      return context.entry?.enabled ? `use QEMU's static emulator (apt-get install qemu-user-static), then ${replace}` : `register it: ${register2}`;
    case "interpreter-unreachable":
      return context.entry?.flags.includes("F") ? `use QEMU's static emulator (apt-get install qemu-user-static), then ${replace}` : `re-register it with the F flag: ${replace}`;
    case "exit-status":
      return "check that qus may run programs in its temporary folder (a noexec TMPDIR fails), then run qus verify again";
  }
}
var init_probe_words = __esm({
  "../core/src/report/probe-words.ts"() {
    "use strict";
    init_shell_quote();
  }
});

// ../core/src/drivers/probe-verdict.ts
function describeProbeRun(result, chroot) {
  if (result.exitCode === 0 && !result.timedOut) return { ok: !0, chrooted: chroot };
  let lastLine = result.stderr.split(`
`).at(-1)?.trim() ?? "", [failure, detail] = classify(result, lastLine);
  return {
    ok: !1,
    failure,
    detail,
    chrooted: chroot,
    reason: describeFailure({ failure, detail, chrooted: chroot })
  };
}
function classify(result, lastLine) {
  return result.timedOut ? ["timeout", void 0] : result.signal ? ["crashed", result.signal] : result.exitCode === NO_HANDLER_STATUS || /exec format error/i.test(lastLine) || result.startError === "ENOEXEC" ? ["no-handler", void 0] : /no such file or directory/i.test(lastLine) ? ["interpreter-unreachable", lastLine || void 0] : result.startError ? ["exit-status", `could not start: ${result.startError}`] : ["exit-status", `status ${result.exitCode}${lastLine ? `: ${lastLine}` : ""}`];
}
var NO_HANDLER_STATUS, init_probe_verdict = __esm({
  "../core/src/drivers/probe-verdict.ts"() {
    "use strict";
    init_probe_words();
    NO_HANDLER_STATUS = 99;
  }
});

// ../core/src/drivers/container/helper-script.ts
var expand, HELPER_SCRIPT, init_helper_script = __esm({
  "../core/src/drivers/container/helper-script.ts"() {
    "use strict";
    expand = (expansion) => `\${${expansion}}`, HELPER_SCRIPT = String.raw`
B=/proc/sys/fs/binfmt_misc
P=/tmp/qus-probe
E=/tmp/qus-err
T=20
for arg in "$@"; do
  case $arg in timeout=*) T=${expand("arg#timeout=")} ;; esac
done
case $T in '' | *[!0-9]*) T=20 ;; esac
oneline() { tr '\n' ' ' <"$E"; }
# Seconds since boot, in U: a shell builtin reading /proc, not a process.
now() { read -r U _ </proc/uptime; U=${expand("U%%.*")}; }
# Runs a program for $T seconds at most: R is its exit status, or "timeout" when it had to be killed.
bounded() {
  now
  start=$U
  timeout -s KILL "$T" "$@"
  R=$?
  if [ "$R" = 137 ]; then now; [ $((U - start)) -ge "$T" ] && R=timeout; fi
}
# The last line of a file, in L (empty when there is none), without starting a process.
lastline() {
  L=""
  while IFS= read -r line || [ -n "$line" ]; do L=$line; done <"$1"
}
for applet in base64 chmod chroot mkdir mount od timeout tr; do
  command -v "$applet" >/dev/null || { echo "fatal this busybox has no $applet applet"; exit 0; }
done
# Its files first: an image without /tmp must not pass for a mount refused.
mkdir -p "$P/bin" 2>/dev/null || { echo "fatal cannot create $P: the helper needs a writable /tmp"; exit 0; }
if [ ! -e "$B/register" ]; then
  if mount -t binfmt_misc binfmt_misc "$B" 2>"$E"; then echo "mounted"; else echo "mount-failed $(oneline)"; exit 0; fi
fi
read -r release </proc/sys/kernel/osrelease
echo "kernel $release"
echo host-header $(od -An -v -tx1 -N 64 /bin/busybox)
probes=""
versions=""
noversion=""
for arg in "$@"; do
  key=${expand("arg%%=*")}
  value=${expand("arg#*=")}
  case $key in
    marker) printf '%s' "$value" | base64 -d >"$P/bin/sh" && chmod 755 "$P/bin/sh" ;;
    noversion) noversion=1 ;;
    remove)
      if [ ! -e "$B/$value" ]; then echo "op remove $value ok"
      elif (printf '%s' -1 >"$B/$value") 2>"$E"; then echo "op remove $value ok"
      else echo "op remove $value failed $(oneline)"; fi ;;
    enable)
      if (printf '%s' 1 >"$B/$value") 2>"$E"; then echo "op enable $value ok"; else echo "op enable $value failed $(oneline)"; fi ;;
    register)
      name=${expand("value%%=*")}
      line=${expand("value#*=")}
      if (printf '%s' "$line" >"$B/register") 2>"$E"; then echo "op register $name ok"; else echo "op register $name failed $(oneline)"; fi ;;
    interp)
      for path in "/usr/bin/qemu-$value-static" "/usr/bin/qemu-$value" "/usr/local/bin/qemu-$value-static" "/usr/local/bin/qemu-$value"; do
        if [ -x "$path" ]; then
          echo "interpreter $value $path"
          if [ -z "$noversion" ]; then
            versions="$versions $value"
            (
              bounded "$path" --version </dev/null >"$P/version-$value" 2>/dev/null
              if [ "$R" != timeout ]; then
                read -r first <"$P/version-$value" || true
                echo "version $path $first" >"$P/version-$value.line"
              fi
            ) &
          fi
          break
        fi
      done ;;
    probe) probes="$probes $value" ;;
  esac
done
# The probes, after every kernel write, in parallel and chrooted only, as builds run them: one emulator start each.
# Each writes its line to a file, printed after the table, so no line lands inside an entry's lines.
for probe in $probes; do
  cpu=${expand("probe%%=*")}
  (
    printf '%s' "${expand("probe#*=")}" | base64 -d >"$P/$cpu" && chmod 755 "$P/$cpu"
    bounded chroot "$P" "/$cpu" </dev/null >/dev/null 2>"$P/$cpu.err"
    lastline "$P/$cpu.err"
    echo "probe $cpu $R $L" >"$P/$cpu.result"
  ) &
done
for path in "$B"/*; do
  name=${expand("path##*/")}
  case $name in register | status | '*') continue ;; esac
  echo "entry $name"
  while IFS= read -r line || [ -n "$line" ]; do echo "| $line"; done <"$path"
done
wait
for result in $probes; do
  cpu=${expand("result%%=*")}
  lastline "$P/$cpu.result"
  echo "$L"
done
for cpu in $versions; do
  [ -e "$P/version-$cpu.line" ] && lastline "$P/version-$cpu.line" && echo "$L"
done
echo "done"
`;
  }
});

// ../core/src/drivers/container/protocol.ts
function status(word) {
  return word === "timeout" ? word : word !== void 0 && /^\d{1,3}$/.test(word) ? Number(word) : void 0;
}
function parseHelperOutput(stdout) {
  let mounted = !1, mountError, fatal, kernel = "", hostHeader, complete = !1, ops = [], entryTexts = /* @__PURE__ */ new Map(), interpreters = /* @__PURE__ */ new Map(), versions = /* @__PURE__ */ new Map(), probes2 = /* @__PURE__ */ new Map(), currentEntry;
  for (let line of stdout.split(`
`)) {
    if (line.startsWith("| ") && currentEntry) {
      currentEntry.push(line.slice(2));
      continue;
    }
    currentEntry = void 0;
    let [word = "", ...rest] = line.split(" "), tail2 = rest.join(" ").trim();
    if (word === "mounted") mounted = !0;
    else if (word === "mount-failed") mountError = tail2 || "no error message";
    else if (word === "fatal") fatal = tail2 || "no error message";
    else if (word === "kernel") kernel = tail2;
    else if (word === "host-header") {
      let hex = tail2.replace(/\s+/g, "");
      /^([0-9a-f]{2})+$/.test(hex) && (hostHeader = fromHex(hex));
    } else if (word === "op" && (rest[0] === "remove" || rest[0] === "enable" || rest[0] === "register"))
      ops.push({ kind: rest[0], name: rest[1] ?? "", ok: rest[2] === "ok", message: rest.slice(3).join(" ").trim() });
    else if (word === "entry" && tail2)
      currentEntry = [], entryTexts.set(tail2, currentEntry);
    else if (word === "interpreter" && rest[0] && rest[1]) interpreters.set(rest[0], rest[1]);
    else if (word === "version" && rest[0]) {
      let version = rest.slice(1).join(" ").trim();
      version && versions.set(rest[0], version);
    } else if (word === "probe" && rest[0]) {
      let chroot = status(rest[1]);
      chroot !== void 0 && probes2.set(rest[0], { chroot, message: rest.slice(2).join(" ").trim() });
    } else word === "done" && (complete = !0);
  }
  let entries = [...entryTexts].map(([name, lines]) => parseEntry(name, lines.join(`
`)));
  return { mounted, mountError, fatal, kernel, hostHeader, ops, entries, interpreters, versions, probes: probes2, complete };
}
var init_protocol = __esm({
  "../core/src/drivers/container/protocol.ts"() {
    "use strict";
    init_entry();
    init_escape();
  }
});

// ../core/src/drivers/container/helper-driver.ts
function createHelperDriver(runner, image, engine, labels, options = {}) {
  let privilegedOption = options.privileged, privilege = privilegedOption ? "full" : "least", least = runner.describePrivilege("least"), full = runner.describePrivilege("full"), tool = runner.name, hostHeader, provenForeign = /* @__PURE__ */ new Set(), details = { image, endpoint: engine.endpoint }, version = labels["org.qus.qemu.version"];
  version && (details.qemuVersion = version);
  let probeSeconds = Math.max(1, Math.ceil((options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) / 1e3)), runTimeoutMs = 2 * probeSeconds * 1e3 + 6e4, fixed = [`timeout=${probeSeconds}`, ...version ? ["noversion=1"] : []];
  async function runHelper(args, probed) {
    let all = [markerArg(engine), ...fixed, ...args], attempt = await runOnce(all, privilege);
    if ("refused" in attempt && privilege === "least" && privilegedOption === void 0) {
      let leastPrivilege = attempt.refused;
      if (privilege = "full", attempt = await runOnce(all, privilege), "refused" in attempt)
        throw new QusError(
          "QUS_PRIVILEGE_DENIED",
          `the engine at ${engine.endpoint} refused both ways of reaching binfmt_misc: with ${least}, ${leastPrivilege}; with ${full}, ${attempt.refused}`,
          {
            hint: `allow this engine's containers ${least} (or ${full}), or run qus ensure --driver local on the engine's host as root`
          }
        );
    }
    if ("refused" in attempt)
      throw privilege === "full" ? new QusError(
        "QUS_PRIVILEGE_DENIED",
        `the engine at ${engine.endpoint} refused the ${full} helper container: ${attempt.refused}`,
        {
          hint: `drop --privileged: qus needs only ${least}, and tries ${full} by itself when that is not enough`
        }
      ) : new QusError(
        "QUS_PRIVILEGE_DENIED",
        `with ${least}, the helper container could not reach binfmt_misc: ${attempt.refused}`,
        { hint: `allow ${full} for it (leave privileged unset and qus tries it when needed)` }
      );
    let report = attempt.report, unreported = probed.filter((cpu) => !report.probes.has(cpu));
    if (unreported.length > 0)
      throw new QusError(
        "QUS_EXEC_FAILED",
        `the helper container (${image}) ended without a result for the probe of ${unreported.join(", ")}`,
        { hint: "run it again; if it keeps failing, rebuild the image with qus image build" }
      );
    return details.privilege = runner.describePrivilege(privilege), hostHeader ??= report.hostHeader, report;
  }
  async function runOnce(args, level) {
    let result = await runner.run({
      image,
      entrypoint: "/bin/busybox",
      command: ["sh", "-c", HELPER_SCRIPT, "qus-helper", ...args],
      needsBinfmtMount: !0,
      privilege: level,
      timeoutMs: runTimeoutMs
    }), where = `the helper container (${image}) on the engine at ${engine.endpoint}`;
    if (result.timedOut)
      throw new QusError(
        "QUS_TIMEOUT",
        `${where} did not finish within ${Math.round(runTimeoutMs / 1e3)} s, though each probe in it is stopped after ${probeSeconds} s: it was stopped and removed`,
        { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` }
      );
    let report = parseHelperOutput(result.stdout);
    if (report.mountError) {
      if (/no such device|unknown filesystem type/i.test(report.mountError))
        throw new QusError(
          "QUS_NO_BINFMT_MISC",
          `the kernel behind the engine at ${engine.endpoint} has no binfmt_misc: ${report.mountError}`,
          { hint: "load the module on the engine's host (modprobe binfmt_misc), or use an engine whose kernel has it" }
        );
      return { refused: `mounting binfmt_misc failed: ${report.mountError}` };
    }
    if (report.fatal) throw unusableImage(`its busybox cannot run the helper: ${report.fatal}`);
    if (report.complete) return { report };
    let detail = describeRunFailure(result), started = result.stdout.trim() !== "";
    if (!started && /unable to apply caps|operation not permitted|authorization denied/i.test(detail))
      return { refused: `the engine would not start it: ${detail}` };
    throw !started && /\/bin\/busybox|executable file not found/i.test(detail) ? unusableImage(`it cannot run /bin/busybox: ${detail}`) : result.signal || result.exitCode === 137 || result.exitCode === 143 ? new QusError(
      "QUS_EXEC_FAILED",
      `${where} was stopped before it finished (status ${result.exitCode ?? result.signal}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
      { hint: "run qus again; do not stop qus-helper-* containers while it runs" }
    ) : new QusError("QUS_EXEC_FAILED", `${where} failed before it finished: ${detail}`, {
      hint: "run qus again; if it keeps failing, rebuild the image with qus image build"
    });
  }
  function unusableImage(why) {
    let message = `the image ${image} is not a working qus installer: ${why}`, hint = "build qus's installer with qus image build";
    return options.explicitImage ? new QusError("QUS_USAGE", message, { hint: `${hint} and leave --image out, or pass a tonistiigi/binfmt image` }) : new QusError("QUS_IMAGE_MISSING", message, { hint });
  }
  function versionsOf(report) {
    return version ? new Map([...report.interpreters].map(([cpu, path]) => [path, version.replace(/^qemu-\S+/, `qemu-${cpu}`)])) : report.versions;
  }
  return {
    name: runner.name,
    async inspect(request) {
      let cpus = request.targets.map((target) => target.cpu), report = await runHelper([...cpus.map((cpu) => `interp=${cpu}`), ...cpus.map(probeArg)], cpus), native = /* @__PURE__ */ new Map(), hostClaims = /* @__PURE__ */ new Map(), probes2 = /* @__PURE__ */ new Map();
      for (let target of request.targets) {
        let run = report.probes.get(target.cpu), claimants = claimantsOf(report.entries, buildProbe(target.cpu)).map((entry) => entry.name);
        if (report.hostHeader && matchesHeader(targetPattern(target), report.hostHeader)) {
          native.set(target.cpu, "the engine's own architecture"), claimants.length > 0 && hostClaims.set(target.cpu, claimants);
          continue;
        }
        let result = run && verdict(run), decision = judgeNative(engine.cpu, target.cpu, result, claimants.length > 0);
        decision.native && native.set(target.cpu, `${decision.reason ?? "runs natively"} on the engine`), decision.provenForeign && provenForeign.add(target.cpu), decision.hostClaimed && hostClaims.set(target.cpu, claimants), claimants.length > 0 && !decision.native && request.verify && result && probes2.set(target.cpu, result);
      }
      let interpreters = /* @__PURE__ */ new Map();
      for (let [cpu, path] of report.interpreters) interpreters.set(cpu, { path, static: !0 });
      return {
        // The helper mounts binfmt_misc in its own mount namespace only: the engine's host is left as it was.
        kernel: { release: report.kernel, binfmtMounted: !0, mountedByQus: !1 },
        entries: report.entries,
        native,
        hostClaims,
        interpreters,
        probes: probes2,
        qemuVersions: versionsOf(report),
        warnings: [],
        details: { ...details }
      };
    },
    async apply(steps, verify2) {
      let args = [];
      for (let step of steps) {
        for (let name of step.remove) args.push(`remove=${name}`);
        if (step.enable && args.push(`enable=${step.enable}`), step.register) {
          if (hostHeader !== void 0 && matchesHeader(step.register, hostHeader) || !mayEmulate(engine.cpu, step.target.cpu, provenForeign))
            throw new QusError(
              "QUS_HOST_MATCH",
              `refusing to register ${step.register.name}: the engine runs ${step.target.cpu} programs itself, or may`,
              { hint: "this architecture runs natively on the engine and needs no emulation" }
            );
          args.push(`register=${step.register.name}=${renderRegister(step.register)}`, `interp=${step.target.cpu}`);
        }
      }
      let report = await runHelper(
        [...args, ...verify2.map((target) => probeArg(target.cpu))],
        verify2.map((target) => target.cpu)
      ), failures = /* @__PURE__ */ new Map();
      for (let step of steps) {
        let failure = stepFailure(step, report.ops, report.entries, tool);
        failure && failures.set(step.target.cpu, failure);
      }
      let probes2 = /* @__PURE__ */ new Map();
      for (let target of verify2) {
        let run = report.probes.get(target.cpu);
        run && !failures.has(target.cpu) && probes2.set(target.cpu, verdict(run));
      }
      return { entries: report.entries, failures, probes: probes2, qemuVersions: versionsOf(report) };
    },
    async remove(names) {
      let report = await runHelper(
        names.map((name) => `remove=${name}`),
        []
      ), removed = [], failures = /* @__PURE__ */ new Map();
      for (let op of report.ops)
        op.ok ? removed.push(op.name) : failures.set(op.name, new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${op.name}: ${op.message}`));
      return { removed, failures };
    }
  };
}
function markerArg(info) {
  let cpu = info.cpu ?? "x86_64";
  return `marker=${Buffer.from(buildExitProgram(cpu, NO_HANDLER_STATUS)).toString("base64")}`;
}
function probeArg(cpu) {
  return `probe=${cpu}=${Buffer.from(buildProbe(cpu)).toString("base64")}`;
}
function verdict(run) {
  let status3 = run.chroot, timedOut = status3 === "timeout", signal = !timedOut && status3 > 128 && status3 !== NO_HANDLER_STATUS ? `signal ${status3 - 128}` : void 0;
  return describeProbeRun(
    {
      exitCode: timedOut || signal ? void 0 : status3,
      signal,
      stdout: "",
      stderr: run.message,
      startError: void 0,
      timedOut
    },
    !0
  );
}
function stepFailure(step, ops, entries, driver) {
  let names = new Set([...step.remove, step.enable, step.register?.name].filter(Boolean));
  for (let op of ops.filter((candidate) => names.has(candidate.name) && !candidate.ok)) {
    if (op.kind === "register" && step.register && /exists/i.test(op.message) && registeredMeanwhile(
      entries.find((entry) => entry.name === op.name),
      step.register
    ) === "same")
      continue;
    let code = /not permitted|permission denied/i.test(op.message) ? "QUS_PRIVILEGE_DENIED" : "QUS_KERNEL_WRITE_FAILED";
    return new QusError(code, `${op.kind} ${op.name} failed in the helper container: ${op.message}`, {
      hint: `check the entry with qus status --driver ${driver}`
    });
  }
}
var DEFAULT_PROBE_TIMEOUT_MS, init_helper_driver = __esm({
  "../core/src/drivers/container/helper-driver.ts"() {
    "use strict";
    init_entry();
    init_match();
    init_register();
    init_errors();
    init_plan();
    init_probe();
    init_cli_runner();
    init_native_policy();
    init_probe_verdict();
    init_helper_script();
    init_protocol();
    DEFAULT_PROBE_TIMEOUT_MS = 2e4;
  }
});

// ../core/src/drivers/container/tonistiigi.ts
function tonistiigiArch(target) {
  let arch = canonicalPlatform(target).split("/")[1] ?? target.cpu;
  return ARCH_EXCEPTIONS[target.cpu] ?? arch;
}
function tonistiigiInstallCommand(targets) {
  if (targets.length === 0) throw new QusError("QUS_USAGE", "no targets to install with tonistiigi/binfmt");
  return ["--install", [...new Set(targets.map(tonistiigiArch))].join(",")];
}
function tonistiigiUninstallCommand(entryNames) {
  let bad = entryNames.find((name) => !/^[\w.*-]+$/.test(name));
  if (entryNames.length === 0 || bad !== void 0)
    throw new QusError("QUS_USAGE", `not a binfmt_misc entry name for tonistiigi/binfmt: ${JSON.stringify(bad ?? "")}`);
  return ["--uninstall", entryNames.join(",")];
}
function parseTonistiigiStatus(stdout) {
  let end = stdout.lastIndexOf("}");
  for (let start = stdout.lastIndexOf("{", end); start >= 0; start = stdout.lastIndexOf("{", start - 1)) {
    let status3 = statusFrom(stdout.slice(start, end + 1));
    if (status3) return status3;
  }
  let error = stdout.split(`
`).find((line) => line.startsWith("error: "));
  throw new QusError(
    "QUS_EXEC_FAILED",
    `tonistiigi/binfmt printed no status: ${error ?? (stdout.trim().split(`
`).at(-1) || "no output")}`
  );
}
function statusFrom(text2) {
  let value;
  try {
    value = JSON.parse(text2);
  } catch {
    return;
  }
  let { supported, emulators } = value ?? {}, list = (field) => field === null ? [] : Array.isArray(field) && field.every((item) => typeof item == "string") ? field : void 0, [platforms2, entries] = [list(supported), list(emulators)];
  return platforms2 && entries ? { supported: platforms2, emulators: entries } : void 0;
}
function parseTonistiigiInstallLines(stdout) {
  let lines = [];
  for (let line of stdout.split(`
`)) {
    let match = /^installing: (\S+) (.+)$/.exec(line.trimEnd());
    match?.[1] && match[2] && lines.push({ platform: match[1], ok: match[2] === "OK", message: match[2] });
  }
  return lines;
}
var TONISTIIGI_IMAGE, ARCH_EXCEPTIONS, init_tonistiigi = __esm({
  "../core/src/drivers/container/tonistiigi.ts"() {
    "use strict";
    init_errors();
    init_targets();
    TONISTIIGI_IMAGE = "tonistiigi/binfmt:qemu-v10.2.3-68", ARCH_EXCEPTIONS = { armeb: "armbe" };
  }
});

// ../core/src/drivers/container/tonistiigi-driver.ts
function createTonistiigiDriver(runner, image, engine, options) {
  let { privileged } = options, privilege = privileged ? "full" : "least", tool = runner.name, spec = { image, needsBinfmtMount: !0, privilege }, probeSpec = { image, needsBinfmtMount: !1, privilege }, details = {
    image,
    endpoint: engine.endpoint,
    privilege: runner.describePrivilege(privilege),
    installer: "tonistiigi/binfmt"
  }, least = runner.describePrivilege("least"), where = (command) => `tonistiigi/binfmt (${image}${command.length ? ` ${command.join(" ")}` : ""}) on the engine at ${engine.endpoint}`;
  async function binfmt(command) {
    let result = await runner.run({ ...spec, command, timeoutMs: BINFMT_TIMEOUT_MS });
    if (result.timedOut)
      throw new QusError(
        "QUS_TIMEOUT",
        `${where(command)} did not finish within ${BINFMT_TIMEOUT_MS / 1e3} s: it was stopped and removed`,
        { hint: `the engine is stuck or overloaded: check it (${tool} info, ${tool} ps), then run qus again` }
      );
    if (result.exitCode === 0 || result.exitCode === 1) return result;
    let detail = describeRunFailure(result);
    throw /unable to apply caps|operation not permitted|authorization denied/i.test(detail) ? new QusError(
      "QUS_PRIVILEGE_DENIED",
      `the engine refused to start ${where(command)} with ${details.privilege}: ${detail}`,
      {
        hint: privileged ? `drop --privileged: ${least} is enough where the engine allows it` : "pass --privileged, or build qus's own installer (qus image build), which tries both"
      }
    ) : result.signal || result.exitCode === 137 || result.exitCode === 143 ? new QusError(
      "QUS_EXEC_FAILED",
      `${where(command)} was stopped before it finished (status ${result.exitCode ?? result.signal}: killed by ${tool} kill, ${tool} stop, ${tool} rm --force or the out-of-memory killer)`,
      { hint: "run qus again; do not stop qus-helper-* containers while it runs" }
    ) : new QusError("QUS_EXEC_FAILED", `could not run ${where(command)}: ${detail}`, {
      hint: `check the image (${tool} image inspect), or build qus's own installer: qus image build`
    });
  }
  async function readStatus() {
    let result = await binfmt([]), status3;
    try {
      status3 = parseTonistiigiStatus(result.stdout);
    } catch (error) {
      throw statusFailure(error, `${result.stderr}
${result.stdout}`);
    }
    return status3.emulators.map((name) => ({
      name,
      enabled: !0,
      interpreter: "",
      flags: "",
      offset: 0,
      opaque: !0
    }));
  }
  function statusFailure(error, output) {
    let line = output.split(`
`).find((candidate) => candidate.startsWith("error: "));
    if (!line) return error;
    let mount = /cannot mount binfmt_misc/i.test(output);
    return mount && /no such device|unknown filesystem/i.test(line) ? new QusError(
      "QUS_NO_BINFMT_MISC",
      `the kernel behind the engine at ${engine.endpoint} has no binfmt_misc: tonistiigi/binfmt said ${line}`,
      { hint: "load the module on the engine's host (modprobe binfmt_misc), or use an engine whose kernel has it" }
    ) : mount && /not permitted|permission denied/i.test(line) ? new QusError(
      "QUS_PRIVILEGE_DENIED",
      `tonistiigi/binfmt could not mount binfmt_misc with ${details.privilege}: ${line}`,
      {
        hint: privileged ? "the engine confines even privileged containers: run qus ensure --driver local on its host as root" : "pass --privileged, or build qus's own installer (qus image build), which tries both"
      }
    ) : new QusError("QUS_EXEC_FAILED", `tonistiigi/binfmt printed no status: ${line}`);
  }
  let provenForeign = /* @__PURE__ */ new Set();
  async function probe(cpus) {
    let results = /* @__PURE__ */ new Map();
    return await Promise.all(
      cpus.map(async (cpu) => {
        let run = await runner.runProgram(
          { ...probeSpec, timeoutMs: options.probeTimeoutMs + CONTAINER_START_MS },
          buildProbe(cpu)
        );
        results.set(cpu, describeProbeRun(run, !0));
      })
    ), results;
  }
  return {
    name: runner.name,
    async inspect(request) {
      let [entries, version] = await Promise.all([readStatus(), binfmt(["--version"])]), names = new Set(entries.map((entry) => entry.name)), claimed = request.targets.filter((target) => names.has(entryName(target))).map((target) => target.cpu), unclaimed = request.targets.filter((target) => !names.has(entryName(target))).map((target) => target.cpu), [probes2, direct] = await Promise.all([request.verify ? probe(claimed) : /* @__PURE__ */ new Map(), probe(unclaimed)]), native = /* @__PURE__ */ new Map(), hostClaims = /* @__PURE__ */ new Map();
      for (let target of request.targets) {
        let claimedHere = names.has(entryName(target)), run = direct.get(target.cpu), decision = judgeNative(engine.cpu, target.cpu, run, claimedHere);
        decision.native && native.set(target.cpu, `${decision.reason ?? "runs natively"} on the engine`), decision.provenForeign && provenForeign.add(target.cpu), decision.hostClaimed && hostClaims.set(target.cpu, [entryName(target)]);
      }
      let interpreters = new Map(
        request.targets.map((target) => [target.cpu, { path: `/usr/bin/qemu-${target.cpu}`, static: !0 }])
      ), qemuVersion = /qemu\/(\S+)/.exec(`${version.stdout} ${version.stderr}`)?.[1];
      return {
        kernel: { release: "", binfmtMounted: !0, mountedByQus: !1 },
        entries,
        native,
        hostClaims,
        interpreters,
        probes: probes2,
        qemuVersions: /* @__PURE__ */ new Map(),
        warnings: ["tonistiigi/binfmt shows entry names only: flags and interpreters are not reported; probes decide"],
        details: qemuVersion ? { ...details, qemuVersion: `qemu ${qemuVersion}` } : details
      };
    },
    async apply(steps, verify2) {
      let failures = /* @__PURE__ */ new Map(), uninstall = [...new Set(steps.flatMap((step) => [...step.remove, ...step.enable ? [step.enable] : []]))];
      uninstall.length > 0 && await binfmt(tonistiigiUninstallCommand(uninstall));
      let install = steps.filter((step) => step.register || step.enable).map((step) => step.target).filter((target) => mayEmulate(engine.cpu, target.cpu, provenForeign) ? !0 : (failures.set(
        target.cpu,
        new QusError("QUS_HOST_MATCH", `refusing to install ${entryName(target)}: the engine may run it natively`, {
          hint: "this architecture runs natively on the engine and needs no emulation"
        })
      ), !1));
      if (install.length > 0) {
        let result = await binfmt(tonistiigiInstallCommand(install)), lines = parseTonistiigiInstallLines(`${result.stderr}
${result.stdout}`);
        for (let target of install) {
          let line = lines.find((candidate) => candidate.platform === tonistiigiArch(target));
          line?.ok || failures.set(
            target.cpu,
            new QusError(
              "QUS_KERNEL_WRITE_FAILED",
              `tonistiigi/binfmt could not install ${entryName(target)}: ${line?.message ?? "no result line"}`,
              {
                hint: "its exit code is 0 either way; see its output, or build qus's own image: qus image build"
              }
            )
          );
        }
      }
      let [entries, probes2] = await Promise.all([
        readStatus(),
        probe(verify2.map((target) => target.cpu).filter((cpu) => !failures.has(cpu)))
      ]);
      return { entries, failures, probes: probes2, qemuVersions: /* @__PURE__ */ new Map() };
    },
    async remove(names) {
      if (names.length === 0) return { removed: [], failures: /* @__PURE__ */ new Map() };
      let result = await binfmt(tonistiigiUninstallCommand(names)), remaining = new Set((await readStatus()).map((entry) => entry.name)), failures = /* @__PURE__ */ new Map();
      for (let name of names.filter((candidate) => remaining.has(candidate)))
        failures.set(
          name,
          new QusError(
            "QUS_KERNEL_WRITE_FAILED",
            `tonistiigi/binfmt did not remove ${name}: it is still listed after --uninstall${uninstallLine(result, name)}`
          )
        );
      return { removed: names.filter((name) => !remaining.has(name)), failures };
    }
  };
}
function uninstallLine(result, name) {
  let line = `${result.stderr}
${result.stdout}`.split(`
`).map((candidate) => candidate.trim()).find((candidate) => candidate.startsWith(`uninstalling: ${name} `) || candidate.startsWith("error: "));
  return line ? ` (${line})` : " (binfmt printed nothing about it)";
}
var BINFMT_TIMEOUT_MS, CONTAINER_START_MS, init_tonistiigi_driver = __esm({
  "../core/src/drivers/container/tonistiigi-driver.ts"() {
    "use strict";
    init_errors();
    init_probe();
    init_cli_runner();
    init_targets();
    init_native_policy();
    init_probe_verdict();
    init_tonistiigi();
    BINFMT_TIMEOUT_MS = 6e4, CONTAINER_START_MS = 1e4;
  }
});

// ../core/src/drivers/container/index.ts
function createContainerDriver(options = {}) {
  let runner = options.runner ?? createDockerCliRunner();
  options.image !== void 0 && checkImageReference(options.image);
  let resolved, driver = () => (resolved ??= resolveDriver(runner, options), resolved);
  return {
    name: runner.name,
    inspect: async (request) => (await driver()).inspect(request),
    apply: async (steps, verify2) => (await driver()).apply(steps, verify2),
    remove: async (names) => (await driver()).remove(names)
  };
}
function isImageReference(image) {
  return image.length <= 512 && IMAGE_REFERENCE.test(image);
}
function checkImageReference(image) {
  if (!isImageReference(image))
    throw new QusError("QUS_USAGE", `--image ${JSON.stringify(image)} is not an image reference`, {
      hint: `name an image as docker does (${QUS_IMAGE}, ${TONISTIIGI_IMAGE}); build qus's own with ${formatCommand(["qus", "image", "build"])}`
    });
}
function isQusInstaller(labels) {
  return labels["org.opencontainers.image.title"] === "qus-binfmt" || "org.qus.qemu.version" in labels;
}
function isTonistiigi(image) {
  return /(^|\/)tonistiigi\/binfmt(:|@|$)/.test(image);
}
async function resolveDriver(runner, options) {
  let image = options.image ?? QUS_IMAGE, [info, labels] = await Promise.allSettled([runner.info(), runner.imageLabels(image)]);
  if (info.status === "rejected") throw info.reason;
  if (labels.status === "rejected") throw labels.reason;
  let engine = info.value;
  requireRootfulEngine(engine, runner.name);
  let helperOptions = { privileged: options.privileged, probeTimeoutMs: options.probeTimeoutMs }, build = imageBuildCommand(runner.name);
  if (labels.value && isQusInstaller(labels.value))
    return createHelperDriver(runner, image, engine, labels.value, {
      ...helperOptions,
      explicitImage: options.image !== void 0
    });
  if (options.image === void 0) {
    if (labels.value) throw notAnInstaller(engine, image, !1, build);
  } else if (!isTonistiigi(options.image))
    throw labels.value ? notAnInstaller(engine, image, !0, build) : imageMissing(engine, image, build, runner.name);
  let fallback = options.image ?? TONISTIIGI_IMAGE;
  if (!(options.image !== void 0 ? labels.value !== void 0 : !!await runner.imageLabels(fallback)) && !await runner.pull(fallback)) throw imageMissing(engine, fallback, build, runner.name);
  return createTonistiigiDriver(runner, fallback, engine, {
    privileged: options.privileged ?? !1,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  });
}
function requireRootfulEngine(engine, name) {
  if (engine.rootless || engine.userns)
    throw new QusError(
      "QUS_ENGINE_ROOTLESS",
      `the ${name} engine at ${engine.endpoint} is ${engine.rootless ? "rootless" : "running with user namespace remapping"}: its containers cannot register in the host kernel`,
      {
        hint: `run qus ensure --driver local on the host as root, or use a rootful engine${name === "podman" ? " (run podman, and qus, as root)" : ""}`
      }
    );
}
function imageBuildCommand(runnerName) {
  return formatCommand(["qus", "image", "build", ...runnerName === "docker" ? [] : ["--driver", runnerName]]);
}
function imageMissing(engine, image, build, runnerName) {
  return new QusError(
    "QUS_IMAGE_MISSING",
    `the engine at ${engine.endpoint} has no image ${image}, and it could not be pulled`,
    {
      hint: `build qus's own on this engine, which needs no registry: ${build} (or load ${image} with ${runnerName} load)`
    }
  );
}
function notAnInstaller(engine, image, explicit, build) {
  let message = `the image ${image} on the engine at ${engine.endpoint} is not an installer qus can use: it has no qus-binfmt labels (org.qus.qemu.version), and it is not tonistiigi/binfmt`;
  return explicit ? new QusError("QUS_USAGE", message, {
    hint: `build qus's installer with ${build} and leave --image out, or pass a tonistiigi/binfmt image (--image ${TONISTIIGI_IMAGE})`
  }) : new QusError("QUS_IMAGE_MISSING", message, {
    hint: `${image} was tagged by something else: build qus's installer again with ${build}`
  });
}
var QUS_IMAGE, COMPONENT, REGISTRY, IMAGE_REFERENCE, init_container = __esm({
  "../core/src/drivers/container/index.ts"() {
    "use strict";
    init_errors();
    init_docker_cli();
    init_shell_quote();
    init_helper_driver();
    init_tonistiigi();
    init_tonistiigi_driver();
    QUS_IMAGE = "qus-binfmt:latest";
    COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", REGISTRY = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?", IMAGE_REFERENCE = new RegExp(
      `^(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$`
    );
  }
});

// ../core/src/drivers/local/binfmt-fs.ts
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
function isMounted(dir = BINFMT_DIR) {
  return existsSync(`${dir}/register`);
}
async function mountBinfmt(exec, dir = BINFMT_DIR) {
  let filesystems = await readFile("/proc/filesystems", "utf8").catch(() => ""), result = await exec("mount", ["-t", "binfmt_misc", "binfmt_misc", dir]);
  if (result.exitCode === 0) return;
  let detail = (result.stderr || result.startError || `exit ${result.exitCode}`).trim();
  throw process.getuid?.() !== 0 ? new QusError("QUS_NOT_ROOT", `cannot mount binfmt_misc at ${dir}: not root (${detail})`, {
    hint: "run qus as root (sudo qus ...), or mount it first: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"
  }) : new QusError("QUS_NO_BINFMT_MISC", `cannot mount binfmt_misc at ${dir}: ${detail}`, {
    hint: /\bbinfmt_misc\b/.test(filesystems) ? "check that /proc is writable here (inside a container, run with --cap-add SYS_ADMIN)" : "this kernel has no binfmt_misc: load it (modprobe binfmt_misc) or use a kernel built with CONFIG_BINFMT_MISC"
  });
}
function isBinfmtEnabled(dir = BINFMT_DIR) {
  try {
    return readFileSync(`${dir}/status`, "utf8").trim() !== "disabled";
  } catch {
    return !0;
  }
}
function readEntries(dir = BINFMT_DIR) {
  return readdirSync(dir).filter((name) => !CONTROL_FILES.has(name)).sort().map((name) => readEntry(name, dir)).filter((entry) => entry !== void 0);
}
function readEntry(name, dir = BINFMT_DIR) {
  try {
    return parseEntry(name, readFileSync(`${dir}/${name}`, "utf8"));
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return;
    throw error;
  }
}
async function writeControl(path, text2) {
  let handle = await open(path, "w");
  try {
    await handle.write(text2);
  } finally {
    await handle.close();
  }
}
async function removeEntry(name, dir = BINFMT_DIR) {
  try {
    await writeControl(`${dir}/${name}`, "-1");
  } catch (error) {
    if (existsSync(`${dir}/${name}`)) throw error;
  }
}
var BINFMT_DIR, CONTROL_FILES, init_binfmt_fs = __esm({
  "../core/src/drivers/local/binfmt-fs.ts"() {
    "use strict";
    init_entry();
    init_errors();
    BINFMT_DIR = "/proc/sys/fs/binfmt_misc", CONTROL_FILES = /* @__PURE__ */ new Set(["register", "status"]);
  }
});

// ../core/src/drivers/local/host.ts
import { closeSync, openSync, readSync } from "node:fs";
function readHostHeaders() {
  return HOST_PROGRAMS.flatMap((path) => {
    try {
      return [readHeaderSync(path)];
    } catch {
      return [];
    }
  }).filter((header2) => header2.length > 0);
}
function readHeaderSync(path, length = 128) {
  let fd = openSync(path, "r");
  try {
    let buffer = new Uint8Array(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}
function matchesHost(pattern, hostHeaders) {
  return hostHeaders.some((header2) => matchesHeader(pattern, header2));
}
var HOST_PROGRAMS, init_host = __esm({
  "../core/src/drivers/local/host.ts"() {
    "use strict";
    init_match();
    HOST_PROGRAMS = [process.execPath, "/bin/sh"];
  }
});

// ../core/src/drivers/local/interpreters.ts
import { accessSync, constants, readdirSync as readdirSync2, statSync } from "node:fs";
import { delimiter, isAbsolute, resolve } from "node:path";
function defaultSearchDirs(path = process.env.PATH ?? "") {
  let dirs = [...path.split(delimiter), "/usr/bin", "/usr/local/bin", "/usr/sbin"].filter(
    (dir) => dir.startsWith("/")
  );
  return [...new Set(dirs)];
}
function findInterpreters(cpus, dirs) {
  let listings = dirs.map((dir) => ({ dir, names: listQemu(dir) })), found = /* @__PURE__ */ new Map();
  for (let cpu of cpus) {
    let interpreter = findInterpreter(cpu, listings);
    interpreter && found.set(cpu, interpreter);
  }
  return found;
}
function listQemu(dir) {
  try {
    return new Set(readdirSync2(dir).filter((name) => name.startsWith("qemu-")));
  } catch {
    return /* @__PURE__ */ new Set();
  }
}
function findInterpreter(cpu, listings) {
  let dynamic;
  for (let { dir, names } of listings)
    for (let name of [`qemu-${cpu}-static`, `qemu-${cpu}`]) {
      let path = `${dir}/${name}`;
      if (!(!names.has(name) || !isExecutable(path))) {
        if (isStaticElf(readHeaderSync(path, 4096))) return { path, static: !0 };
        dynamic ??= { path, static: !1 };
      }
    }
  return dynamic;
}
function isExecutable(path) {
  try {
    return accessSync(path, constants.X_OK), !0;
  } catch {
    return !1;
  }
}
function isStaticElf(head) {
  if (head.length < 52 || head[0] !== 127 || head[1] !== 69 || head[2] !== 76 || head[3] !== 70) return !1;
  let view = new DataView(head.buffer, head.byteOffset, head.byteLength), is64 = head[4] === 2, little = head[5] === 1, phoff = is64 ? Number(view.getBigUint64(32, little)) : view.getUint32(28, little), phentsize = view.getUint16(is64 ? 54 : 42, little), phnum = view.getUint16(is64 ? 56 : 44, little);
  for (let i = 0; i < phnum; i++) {
    let at = phoff + i * phentsize;
    if (at + 4 > head.length || view.getUint32(at, little) === PT_INTERP) return !1;
  }
  return !0;
}
function validateQemuPath(dir) {
  let usage2 = (problem, hint) => new QusError("QUS_USAGE", `--qemu-path ${JSON.stringify(dir)}: ${problem}`, { hint });
  if (dir.includes(delimiter))
    throw usage2("one folder is expected, not a list", "pass one folder, e.g. --qemu-path /usr/bin");
  if (!isAbsolute(dir))
    throw usage2(
      "the path must be absolute",
      `pass it as an absolute path, e.g. --qemu-path ${formatCommand([resolve(dir)])}`
    );
  let isDir;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw usage2("no such folder", "pass the folder that holds qemu-<cpu>-static (Debian: /usr/bin)");
  }
  if (!isDir) throw usage2("not a folder", "pass the folder that holds qemu-<cpu>-static, not the file itself");
}
var PT_INTERP, init_interpreters = __esm({
  "../core/src/drivers/local/interpreters.ts"() {
    "use strict";
    init_errors();
    init_shell_quote();
    init_host();
    PT_INTERP = 3;
  }
});

// ../core/src/drivers/local/interpreter-file.ts
function classifyInterpreter(path, hostHeader) {
  let head;
  try {
    head = readHeaderSync(path, 4096);
  } catch {
    return "missing";
  }
  return head[0] === 35 && head[1] === 33 ? "script" : !(head[0] === 127 && head[1] === 69 && head[2] === 76 && head[3] === 70) || hostHeader && machineOf(head) !== machineOf(hostHeader) ? "foreign" : isStaticElf(head) ? "static" : "dynamic";
}
function machineOf(head) {
  let machine = head[5] === 1 ? (head[18] ?? 0) | (head[19] ?? 0) << 8 : (head[18] ?? 0) << 8 | (head[19] ?? 0);
  return `${head[4]}:${head[5]}:${machine}`;
}
var init_interpreter_file = __esm({
  "../core/src/drivers/local/interpreter-file.ts"() {
    "use strict";
    init_host();
    init_interpreters();
  }
});

// ../core/src/drivers/local/kernel-version.ts
import { release } from "node:os";
function kernelAtLeast(major, minor, kernelRelease = release()) {
  let match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!match) return !0;
  let [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || have === major && haveMinor >= minor;
}
var init_kernel_version = __esm({
  "../core/src/drivers/local/kernel-version.ts"() {
    "use strict";
  }
});

// ../core/src/drivers/local/cache.ts
import { mkdirSync, readFileSync as readFileSync2, writeFileSync as writeFileSync2 } from "node:fs";
import { homedir } from "node:os";
import { dirname, join as join2 } from "node:path";
function cacheDir(env = process.env) {
  return join2(env.XDG_CACHE_HOME || join2(homedir(), ".cache"), "qus");
}
function readCache(path) {
  try {
    let parsed = JSON.parse(readFileSync2(path, "utf8"));
    return parsed && typeof parsed == "object" ? parsed : {};
  } catch {
    return {};
  }
}
function writeCache(path, value) {
  try {
    mkdirSync(dirname(path), { recursive: !0 }), writeFileSync2(path, JSON.stringify(value));
  } catch {
  }
}
var init_cache = __esm({
  "../core/src/drivers/local/cache.ts"() {
    "use strict";
  }
});

// ../core/src/drivers/local/native-cache.ts
import { readFileSync as readFileSync3 } from "node:fs";
import { join as join3 } from "node:path";
function bootId() {
  try {
    return readFileSync3("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}
function createNativeCache(path = join3(cacheDir(), "native.json")) {
  let id = bootId(), stored = readCache(path), known = id && stored.bootId === id ? { ...stored.native } : {};
  return {
    get: (cpu) => known[cpu],
    set(results) {
      if (!(!id || results.size === 0)) {
        for (let [cpu, native] of results) known[cpu] = native;
        writeCache(path, { bootId: id, native: known });
      }
    }
  };
}
var init_native_cache = __esm({
  "../core/src/drivers/local/native-cache.ts"() {
    "use strict";
    init_cache();
  }
});

// ../core/src/drivers/local/probes.ts
import { chmodSync as chmodSync2, mkdirSync as mkdirSync2, mkdtempSync as mkdtempSync2, readdirSync as readdirSync3, rmSync as rmSync2, writeFileSync as writeFileSync3 } from "node:fs";
import { tmpdir as tmpdir2 } from "node:os";
import { join as join4 } from "node:path";
async function createProbeDir(cpus, host) {
  swept || (swept = !0, sweepStaleProbeDirs(tmpdir2()));
  let path = makeTempDir(tmpdir2()), remove2 = () => rmSync2(path, { recursive: !0, force: !0 }), unregister = onInterrupt(remove2);
  chmodSync2(path, 493);
  for (let cpu of cpus) writeFileSync3(join4(path, cpu), buildProbe(cpu), { mode: 493 });
  return host && (mkdirSync2(join4(path, "bin")), writeFileSync3(join4(path, "bin", "sh"), buildExitProgram(host, NO_HANDLER_STATUS), { mode: 493 })), {
    path,
    dispose: async () => {
      unregister(), remove2();
    }
  };
}
function makeTempDir(parent) {
  try {
    return mkdtempSync2(join4(parent, `${PREFIX}${process.pid}-`));
  } catch (error) {
    throw new QusError(
      "QUS_TMPDIR_UNUSABLE",
      `cannot create the probes' folder in ${parent}: ${errnoCode(error) ?? String(error)}`,
      { hint: "point TMPDIR at a writable folder where programs may run (not mounted noexec)", cause: error }
    );
  }
}
function sweepStaleProbeDirs(dir) {
  let names;
  try {
    names = readdirSync3(dir).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (let name of names) {
    let pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!(!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)))
      try {
        rmSync2(join4(dir, name), { recursive: !0, force: !0 });
      } catch {
      }
  }
}
function isRunning(pid) {
  try {
    return process.kill(pid, 0), !0;
  } catch (error) {
    return errnoCode(error) === "EPERM";
  }
}
async function allRunChrooted(exec, dir, cpus) {
  let input = cpus.map((cpu) => `/${cpu}`).join(`
`);
  return (await exec("xargs", ["-P", String(cpus.length), "-n", "1", "chroot", dir.path], {
    input,
    timeoutMs: PROBE_TIMEOUT_MS
  })).exitCode === 0;
}
async function runProbe(exec, dir, cpu, chroot) {
  let result = chroot ? await exec("chroot", [dir.path, `/${cpu}`], { timeoutMs: PROBE_TIMEOUT_MS }) : await exec(join4(dir.path, cpu), [], { timeoutMs: PROBE_TIMEOUT_MS });
  return describeProbeRun(result, chroot);
}
var PREFIX, PROBE_TIMEOUT_MS, swept, init_probes = __esm({
  "../core/src/drivers/local/probes.ts"() {
    "use strict";
    init_cleanup();
    init_errors();
    init_probe();
    init_probe_verdict();
    PREFIX = "qus-probe-", PROBE_TIMEOUT_MS = 1e4, swept = !1;
  }
});

// ../core/src/drivers/local/native.ts
async function detectNative(unclaimed, claimed, seams) {
  let cache = seams.cache ?? createNativeCache(), findings = /* @__PURE__ */ new Map(), toRun = [];
  for (let cpu of unclaimed) {
    let known = cache.get(cpu);
    known === void 0 ? toRun.push(cpu) : findings.set(cpu, { verdict: known ? "native" : "foreign" });
  }
  for (let cpu of claimed) {
    let known = cache.get(cpu);
    findings.set(cpu, { verdict: known === void 0 ? "unknown" : known ? "native" : "foreign" });
  }
  if (toRun.length > 0) {
    let proven = /* @__PURE__ */ new Map(), dir = await createProbeDir(toRun, seams.root ? seams.host : void 0);
    try {
      await Promise.all(
        toRun.map(async (cpu) => {
          let result = seams.root ? await seams.exec("chroot", [dir.path, `/${cpu}`], { timeoutMs: 1e4 }) : await seams.exec(`${dir.path}/${cpu}`, [], { timeoutMs: 1e4 }), finding = nativeFinding(describeProbeRun(result, seams.root));
          findings.set(cpu, finding), finding.verdict !== "unknown" && proven.set(cpu, finding.verdict === "native");
        })
      );
    } finally {
      await dir.dispose();
    }
    cache.set(proven);
  }
  return findings;
}
var init_native = __esm({
  "../core/src/drivers/local/native.ts"() {
    "use strict";
    init_native_policy();
    init_probe_verdict();
    init_native_cache();
    init_probes();
  }
});

// ../core/src/drivers/local/qemu-versions.ts
import { statSync as statSync2 } from "node:fs";
import { join as join5 } from "node:path";
function versionCachePath(env = process.env) {
  return join5(cacheDir(env), "qemu-versions.json");
}
async function qemuVersions(exec, paths, cachePath = versionCachePath()) {
  let cache = readCache(cachePath), versions = /* @__PURE__ */ new Map(), changed = !1;
  return await Promise.all(
    [...new Set(paths)].map(async (path) => {
      let stat2 = statOrUndefined(path);
      if (!stat2) return;
      let cached = cache[path];
      if (cached && cached.size === stat2.size && cached.mtimeMs === stat2.mtimeMs && cached.ino === stat2.ino) {
        versions.set(path, cached.version);
        return;
      }
      let result = await exec(path, ["--version"], { timeoutMs: 5e3 }), line = result.stdout.split(`
`)[0]?.trim();
      result.exitCode !== 0 || !line || (versions.set(path, line), cache[path] = { size: stat2.size, mtimeMs: stat2.mtimeMs, ino: stat2.ino, version: line }, changed = !0);
    })
  ), changed && writeCache(cachePath, cache), versions;
}
function statOrUndefined(path) {
  try {
    return statSync2(path);
  } catch {
    return;
  }
}
var init_qemu_versions = __esm({
  "../core/src/drivers/local/qemu-versions.ts"() {
    "use strict";
    init_cache();
  }
});

// ../core/src/drivers/local/index.ts
import { release as release2 } from "node:os";
function createLocalDriver(options = {}) {
  let exec = options.exec ?? execProcess, dir = options.binfmtDir ?? BINFMT_DIR;
  options.qemuPath !== void 0 && validateQemuPath(options.qemuPath);
  let searchDirs = options.qemuPath ? [options.qemuPath] : defaultSearchDirs(), isRoot = process.getuid?.() === 0, host = hostCpu();
  async function probeTargets(cpus) {
    let results = /* @__PURE__ */ new Map();
    if (cpus.length === 0) return results;
    let probeDir = await createProbeDir(cpus, host);
    try {
      if (isRoot && cpus.length > 1 && await allRunChrooted(exec, probeDir, cpus)) {
        for (let cpu of cpus) results.set(cpu, { ok: !0, chrooted: !0 });
        return results;
      }
      await Promise.all(cpus.map(async (cpu) => results.set(cpu, await runProbe(exec, probeDir, cpu, isRoot))));
    } finally {
      await probeDir.dispose();
    }
    return results;
  }
  return {
    name: "local",
    async inspect(request) {
      let warnings = [], binfmtMounted = isMounted(dir), mountedByQus = !1;
      !binfmtMounted && request.mount ? (await mountBinfmt(exec, dir), binfmtMounted = mountedByQus = !0, warnings.push(`mounted binfmt_misc at ${dir}`)) : binfmtMounted || warnings.push(`binfmt_misc is not mounted at ${dir}: nothing is registered`);
      let entries = binfmtMounted ? readEntries(dir) : [], binfmtEnabled = !binfmtMounted || isBinfmtEnabled(dir), hostHeaders = readHostHeaders(), candidates = nativeCandidates(host), native = /* @__PURE__ */ new Map(), hostClaims = /* @__PURE__ */ new Map(), claimed = [], unclaimedCandidates = [], claimedCandidates = [], claimantsByCpu = new Map(
        request.targets.map((target) => [target.cpu, claimantsOf(entries, buildProbe(target.cpu))])
      ), claimantNames = (cpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.name);
      for (let target of request.targets) {
        let claimants = claimantNames(target.cpu);
        matchesHost(targetPattern(target), hostHeaders) ? (native.set(target.cpu, "this machine's own architecture"), claimants.length > 0 && hostClaims.set(target.cpu, claimants)) : candidates.includes(target.cpu) ? (claimants.length > 0 ? claimedCandidates : unclaimedCandidates).push(target.cpu) : claimants.length > 0 && claimed.push(target.cpu);
      }
      let findings = await detectNative(unclaimedCandidates, claimedCandidates, { exec, host, root: isRoot });
      for (let [cpu, finding] of findings) {
        let claimants = claimantNames(cpu), decision = decideNative(host, cpu, finding, claimants.length > 0);
        decision.native ? native.set(cpu, decision.reason ?? "runs natively") : claimants.length > 0 && claimed.push(cpu), decision.hostClaimed && hostClaims.set(cpu, claimants);
      }
      let emulated = request.targets.map((target) => target.cpu).filter((cpu) => !native.has(cpu)), interpreters = findInterpreters(emulated, searchDirs), [probes2, versions] = await Promise.all([
        request.verify ? probeTargets(claimed) : Promise.resolve(/* @__PURE__ */ new Map()),
        // The claimants' own interpreters too: persist checks that a path still holds that cpu's emulator.
        qemuVersions(exec, [
          ...[...interpreters.values()].map((interpreter) => interpreter.path),
          ...claimed.flatMap((cpu) => (claimantsByCpu.get(cpu) ?? []).map((entry) => entry.interpreter))
        ])
      ]);
      request.verify && !isRoot && claimed.length > 0 && warnings.push(
        "not root: probes ran outside a chroot, so each entry's flags were judged instead (without F it fails in containers); run as root for the real check"
      );
      for (let [, interpreter] of interpreters)
        interpreter.static || warnings.push(
          `${interpreter.path} is dynamically linked: with the F flag it fails inside containers; install qemu-user-static`
        );
      return binfmtEnabled || warnings.push(`binfmt_misc is switched off as a whole (${dir}/status reads disabled): no entry is used`), {
        kernel: { release: release2(), binfmtMounted, binfmtEnabled, mountedByQus },
        entries,
        native,
        hostClaims,
        interpreters,
        interpreterFiles: classifyInterpreters(entries, hostHeaders[0]),
        probes: probes2,
        qemuVersions: versions,
        warnings
      };
    },
    async apply(steps, verify2) {
      requireRoot(isRoot, "change binfmt_misc entries");
      let hostHeaders = readHostHeaders(), failures = /* @__PURE__ */ new Map();
      for (let step of steps)
        try {
          for (let name of step.remove) await removeEntry(name, dir);
          step.enable && await enableEntry(step.enable, dir), step.register && await register(step.register, step.target.cpu, hostHeaders, { exec, host }, dir);
        } catch (error) {
          failures.set(step.target.cpu, toKernelError(error, step));
        }
      let verifyCpus = verify2.map((target) => target.cpu).filter((cpu) => !failures.has(cpu)), interpreters = steps.flatMap((step) => step.register ? [step.register.interpreter] : []), [probes2, versions] = await Promise.all([probeTargets(verifyCpus), qemuVersions(exec, interpreters)]);
      return { entries: readEntries(dir), failures, probes: probes2, qemuVersions: versions };
    },
    async remove(names) {
      requireRoot(isRoot, "remove binfmt_misc entries");
      let removed = [], failures = /* @__PURE__ */ new Map();
      for (let name of names)
        try {
          await removeEntry(name, dir), removed.push(name);
        } catch (error) {
          failures.set(
            name,
            new QusError("QUS_KERNEL_WRITE_FAILED", `could not remove ${name}: ${errnoCode(error) ?? String(error)}`, {
              hint: "check `dmesg` and the entry with qus status",
              cause: error
            })
          );
        }
      return { removed, failures, entries: readEntries(dir) };
    }
  };
}
function classifyInterpreters(entries, hostHeader) {
  let files = /* @__PURE__ */ new Map();
  for (let entry of entries)
    entry.interpreter && !files.has(entry.interpreter) && files.set(entry.interpreter, classifyInterpreter(entry.interpreter, hostHeader));
  return files;
}
async function enableEntry(name, dir) {
  try {
    await writeControl(`${dir}/${name}`, "1");
  } catch (error) {
    throw readEntry(name, dir) ? error : new QusError("QUS_KERNEL_WRITE_FAILED", `${name} was removed by another program while qus enabled it`, {
      hint: "run qus ensure again",
      cause: error
    });
  }
}
function requireRoot(isRoot, what) {
  if (!isRoot)
    throw new QusError("QUS_NOT_ROOT", `qus must run as root to ${what}`, {
      hint: "run it with sudo, or as root in CI (qus status and qus verify work without root)"
    });
}
async function register(registration, cpu, hostHeaders, seams, dir) {
  await refuseHostRegistration(registration, cpu, hostHeaders, seams);
  for (let attempt = 0; ; attempt++)
    try {
      await writeControl(`${dir}/register`, renderRegister(registration));
      return;
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      let meanwhile = registeredMeanwhile(readEntry(registration.name, dir), registration);
      if (meanwhile === "gone" && attempt < 3) continue;
      if (meanwhile === "same") return;
      throw new QusError(
        "QUS_KERNEL_WRITE_FAILED",
        meanwhile === "different" ? `${registration.name} was registered meanwhile by another program, differently` : `${registration.name} kept changing while qus registered it: another program is registering and removing it`,
        {
          hint: `run ${formatCommand(["qus", "ensure", "--replace", "--platforms", cpu])} to take it over`,
          cause: error
        }
      );
    }
}
async function refuseHostRegistration(registration, cpu, hostHeaders, seams) {
  let matches = matchesHost(registration, hostHeaders);
  if (!matches && !nativeCandidates(seams.host).includes(cpu)) return;
  let finding = matches ? void 0 : (await detectNative([cpu], [], { ...seams, root: !0, cache: NO_CACHE })).get(cpu);
  if (finding?.verdict !== "foreign")
    throw new QusError(
      "QUS_HOST_MATCH",
      matches ? `refusing to register ${registration.name}: its magic matches this machine's own programs` : `refusing to register ${registration.name}: this ${seams.host} machine ${finding?.verdict === "native" ? "runs" : "may run"} ${cpu} programs itself`,
      { hint: "this architecture runs natively here and needs no emulation" }
    );
}
function toKernelError(error, step) {
  if (isQusError(error)) return error;
  let code = errnoCode(error), name = step.register?.name ?? step.enable ?? step.remove[0] ?? step.target.cpu;
  return code === "EPERM" || code === "EACCES" ? new QusError("QUS_NOT_ROOT", `the kernel refused to change ${name} (${code})`, {
    hint: "run qus as root; inside a container it needs --cap-add SYS_ADMIN",
    cause: error
  }) : code === "EINVAL" && step.register?.flags.includes("F") && !kernelAtLeast(4, 8) ? new QusError("QUS_KERNEL_NO_F_FLAG", `kernel ${release2()} does not know the F flag (Linux 4.8+)`, {
    hint: "upgrade the kernel, or pass --flags without F (then emulation does not work inside containers)",
    cause: error
  }) : code === "ENOENT" && step.register ? new QusError(
    "QUS_INTERPRETER_MISSING",
    `the interpreter ${step.register.interpreter} of ${name} does not exist`,
    {
      hint: "install qemu-user-static (apt-get install qemu-user-static) or pass --qemu-path DIR",
      cause: error
    }
  ) : new QusError("QUS_KERNEL_WRITE_FAILED", `the kernel refused ${name}: ${code ?? String(error)}`, {
    hint: "check `dmesg` and the entry with `qus status`",
    cause: error
  });
}
var NO_CACHE, init_local = __esm({
  "../core/src/drivers/local/index.ts"() {
    "use strict";
    init_architectures();
    init_entry();
    init_register();
    init_errors();
    init_exec();
    init_plan();
    init_probe();
    init_shell_quote();
    init_native_policy();
    init_binfmt_fs();
    init_host();
    init_interpreter_file();
    init_interpreters();
    init_kernel_version();
    init_native();
    init_probes();
    init_qemu_versions();
    NO_CACHE = { get: () => {
    }, set: () => {
    } };
  }
});

// ../core/src/image/debian.ts
import { mkdir, readdir } from "node:fs/promises";
import { join as join6 } from "node:path";
function debianArchOf(machine) {
  let cpu = cpuOfMachine(machine);
  return cpu ? targetByCpu(cpu)?.debianArch : void 0;
}
async function downloadPackages(exec, names, arch, dir) {
  let result = await exec("apt-get", ["download", ...names.map((name) => `${name}:${arch}`)], {
    timeoutMs: 6e5,
    cwd: dir
  });
  if (result.exitCode !== 0) {
    let detail = (result.stderr || result.startError || "").trim().split(`
`).slice(-2).join(" ");
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `could not download ${names.join(", ")} for ${arch}: ${detail}`, {
      hint: /unable to locate/i.test(detail) ? `run apt-get update first${arch ? ` (for another architecture: dpkg --add-architecture ${arch} && apt-get update)` : ""}, or pass --deb-dir with the .deb files` : "check access to Debian's archive, or pass --deb-dir with the .deb files"
    });
  }
}
async function findPackages(exec, dir, names, arch) {
  let files = await readdir(dir);
  return Promise.all(
    names.map(async (name) => {
      let file = files.find((candidate) => candidate.startsWith(`${name}_`) && candidate.endsWith(`_${arch}.deb`));
      if (!file)
        throw new QusError("QUS_IMAGE_BUILD_FAILED", `no ${name} package for ${arch} in ${dir}`, {
          hint: `put ${name}_<version>_${arch}.deb there, or leave out --deb-dir to download it`
        });
      let result = await exec("dpkg-deb", ["--field", join6(dir, file), "Version"]);
      return { name, version: result.stdout.trim(), file: join6(dir, file) };
    })
  );
}
async function extractPackage(exec, pkg, dir) {
  await mkdir(dir, { recursive: !0 });
  let result = await exec("dpkg-deb", ["--extract", pkg.file, dir], { timeoutMs: 3e5 });
  if (result.exitCode !== 0)
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `could not unpack ${pkg.file}: ${result.stderr.trim()}`, {
      hint: "check the .deb file and free disk space; dpkg-deb comes with dpkg"
    });
}
function debianMachines() {
  return KNOWN_MACHINES.filter((machine) => debianArchOf(machine) !== void 0);
}
var init_debian = __esm({
  "../core/src/image/debian.ts"() {
    "use strict";
    init_architectures();
    init_errors();
    init_targets();
  }
});

// ../core/src/image/build.ts
import { copyFile, mkdir as mkdir2, mkdtemp, readdir as readdir2, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir as tmpdir3 } from "node:os";
import { join as join7 } from "node:path";
async function buildImage(options = {}) {
  let exec = options.exec ?? execProcess, runner = options.runner ?? createDockerCliRunner({ exec }), info = await runner.info(), arch = info.cpu && targetByCpu(info.cpu)?.debianArch;
  if (!arch)
    throw new QusError("QUS_IMAGE_BUILD_FAILED", `no Debian architecture for the engine's ${info.architecture}`, {
      hint: `qus image build knows ${debianMachines().join(", ")}`
    });
  let work = await mkdtemp(join7(tmpdir3(), "qus-image-"));
  try {
    let debDir = options.debDir ?? join7(work, "debs");
    options.debDir || (await mkdir2(debDir), await downloadPackages(exec, PACKAGES, arch, debDir));
    let packages = await findPackages(exec, debDir, PACKAGES, arch), rootfs = join7(work, "context", "rootfs"), interpreters = await assembleRootfs(exec, packages, join7(work, "extract"), rootfs), qemuVersion = await readQemuVersion(exec, rootfs, interpreters, packages), shortVersion = /version (\S+)/.exec(qemuVersion)?.[1] ?? packages[1]?.version ?? "unknown", tags = [.../* @__PURE__ */ new Set([options.tag ?? QUS_IMAGE, `qus-binfmt:qemu-${shortVersion.replace(/[^\w.-]/g, "_")}`])], dockerfile = renderDockerfile(packages, qemuVersion);
    return await writeFile(join7(work, "context", "Dockerfile"), dockerfile), await normalizeTimes(join7(work, "context")), options.dryRun || await runner.buildImage({ contextDir: join7(work, "context"), tags }), {
      tags,
      architecture: info.architecture,
      packages,
      qemuVersion,
      interpreters,
      dockerfile,
      built: !options.dryRun
    };
  } finally {
    await rm(work, { recursive: !0, force: !0 });
  }
}
async function assembleRootfs(exec, packages, extractDir, rootfs) {
  await Promise.all(packages.map((pkg) => extractPackage(exec, pkg, join7(extractDir, pkg.name)))), await mkdir2(join7(rootfs, "bin"), { recursive: !0 }), await mkdir2(join7(rootfs, "usr", "bin"), { recursive: !0 }), await mkdir2(join7(rootfs, "tmp"), { recursive: !0, mode: 1023 });
  let busybox = await firstExisting([
    join7(extractDir, "busybox-static", "bin", "busybox"),
    join7(extractDir, "busybox-static", "usr", "bin", "busybox")
  ]);
  await copyFile(busybox, join7(rootfs, "bin", "busybox"));
  let qemuBin = join7(extractDir, "qemu-user-static", "usr", "bin"), available = new Set(await readdir2(qemuBin)), interpreters = TARGETS.map((target) => `qemu-${target.cpu}-static`).filter((name) => available.has(name));
  return await Promise.all(interpreters.map((name) => copyFile(join7(qemuBin, name), join7(rootfs, "usr", "bin", name)))), interpreters;
}
async function firstExisting(paths) {
  for (let path of paths)
    if (await stat(path).then(
      () => !0,
      () => !1
    ))
      return path;
  throw new QusError("QUS_IMAGE_BUILD_FAILED", `busybox-static holds no busybox at ${paths.join(" or ")}`);
}
async function readQemuVersion(exec, rootfs, interpreters, packages) {
  let probe = interpreters[0];
  if (probe) {
    let result = await exec(join7(rootfs, "usr", "bin", probe), ["--version"]), line = result.stdout.split(`
`)[0]?.trim();
    if (result.exitCode === 0 && line) return line;
  }
  return `qemu-user-static ${packages.find((pkg) => pkg.name === "qemu-user-static")?.version ?? "unknown"}`;
}
function renderDockerfile(packages, qemuVersion) {
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    ...[
      ["org.opencontainers.image.title", "qus-binfmt"],
      ["org.opencontainers.image.description", "qus installer: static busybox and QEMU user-mode emulators from Debian"],
      ["org.qus.qemu.version", qemuVersion],
      ...packages.map((pkg) => [`org.qus.package.${pkg.name}`, pkg.version])
    ].map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    'ENTRYPOINT ["/bin/busybox"]',
    'CMD ["sh"]',
    ""
  ].join(`
`);
}
async function normalizeTimes(dir) {
  for (let entry of await readdir2(dir, { withFileTypes: !0 })) {
    let path = join7(dir, entry.name);
    entry.isDirectory() && await normalizeTimes(path), await utimes(path, 0, 0);
  }
}
var PACKAGES, init_build = __esm({
  "../core/src/image/build.ts"() {
    "use strict";
    init_container();
    init_errors();
    init_exec();
    init_docker_cli();
    init_targets();
    init_debian();
    PACKAGES = ["busybox-static", "qemu-user-static"];
  }
});

// ../core/src/report/build.ts
function entryState(entry) {
  return entry ? entry.enabled ? "enabled" : "disabled" : "absent";
}
function describePlatform(facts) {
  let { target, action, probe } = facts, base = {
    platform: canonicalPlatform(target),
    cpu: target.cpu,
    before: facts.before,
    action,
    reasons: facts.reasons
  };
  if (facts.after === "native") {
    let error = facts.error && { code: facts.error.code, message: facts.error.message };
    return { ...base, after: "native", verified: null, hint: facts.error?.hint, error, ok: error === void 0 };
  }
  let entry = facts.after, interpreter = entry?.interpreter || facts.foundInterpreter, failed = facts.error !== void 0 || action === "conflict" || action === "missing-interpreter", failure = probe && failureOf(probe, facts.claimant ?? entry, facts, interpreter), verifiedOk = probe?.ok === !0 && failure === void 0, ok = !failed && (facts.requireVerified ? verifiedOk : action !== "none" || entry?.enabled === !0);
  return {
    ...base,
    after: entryState(entry),
    verified: probe ? verifiedOk : null,
    verification: failure ? describeFailure(failure) : void 0,
    failure: failure?.failure,
    interpreter,
    flags: entry?.flags,
    qemuVersion: interpreter ? facts.qemuVersions.get(interpreter) : void 0,
    hint: hintFor(facts, ok, failure),
    error: facts.error ? { code: facts.error.code, message: facts.error.message } : void 0,
    ok
  };
}
function failureOf(probe, claimant, facts, interpreter) {
  let entry = claimant && {
    name: claimant.name,
    interpreter: claimant.interpreter || interpreter || "",
    flags: claimant.flags,
    enabled: claimant.enabled
  }, context = {
    platform: canonicalPlatform(facts.target),
    entry,
    chrooted: probe.chrooted,
    interpreterFile: entry?.interpreter ? facts.interpreterFiles?.get(entry.interpreter) : void 0
  };
  if (!probe.ok) return { ...context, failure: probe.failure ?? "exit-status", detail: probe.detail };
  let readable = claimant !== void 0 && !claimant.opaque;
  if (probe.chrooted === !1 && readable && !claimant.flags.includes("F"))
    return { ...context, failure: "interpreter-unreachable" };
}
function hintFor(facts, ok, failure) {
  if (facts.error) return facts.error.hint;
  let platform = canonicalPlatform(facts.target);
  if (facts.action === "conflict")
    return `replace the differing entry with QEMU's: ${formatCommand(["qus", "ensure", "--replace", "--platforms", platform])}`;
  if (facts.action === "missing-interpreter") return INSTALL_HINT;
  if (!ok) {
    if (failure) return failureHint(failure);
    if (facts.after !== "native") {
      if (facts.after === void 0) return `register it: ${formatCommand(["qus", "ensure", "--platforms", platform])}`;
      if (!facts.after.enabled) return `enable it: ${formatCommand(["qus", "ensure", "--platforms", platform])}`;
    }
  }
}
function buildReport(command, driverName, inspection, platforms2, dryRun2) {
  return {
    schemaVersion: 1,
    command,
    driver: driverName,
    driverDetails: inspection.details,
    dryRun: dryRun2,
    ok: platforms2.every((platform) => platform.ok),
    kernel: inspection.kernel,
    platforms: platforms2,
    warnings: inspection.warnings
  };
}
var INSTALL_HINT, init_build2 = __esm({
  "../core/src/report/build.ts"() {
    "use strict";
    init_shell_quote();
    init_targets();
    init_probe_words();
    INSTALL_HINT = "install QEMU's static user-mode emulators (Debian/Ubuntu: apt-get install qemu-user-static) or pass --qemu-path DIR";
  }
});

// ../core/src/platform.ts
function platformNames(input) {
  return (typeof input == "string" ? [input] : input).flatMap((part) => part.split(/[\s,]+/)).map((name) => name.trim()).filter((name) => name !== "");
}
function resolvePlatforms(input) {
  let names = platformNames(input);
  if (names.length === 0)
    throw new QusError("QUS_USAGE", "no platforms given", {
      hint: "pass --platforms with a list such as linux/arm64,linux/riscv64, or all"
    });
  let resolved = /* @__PURE__ */ new Set();
  for (let name of names) {
    if (name.toLowerCase() === "all") {
      for (let target of TARGETS) resolved.add(target);
      continue;
    }
    resolved.add(resolveOne(name));
  }
  return [...resolved];
}
function resolveOne(name) {
  let key = name.toLowerCase(), target = BY_NAME.get(key) ?? BY_NAME.get(key.replace(/^linux\//, ""));
  if (target) return target;
  let nearest = nearestNames(key.replace(/^linux\//, ""), 3);
  throw new QusError("QUS_UNKNOWN_PLATFORM", `unknown platform ${JSON.stringify(name)}`, {
    hint: `did you mean ${nearest.map((n) => JSON.stringify(n)).join(", ")}? Run \`qus status --platforms all\` to list every platform`
  });
}
function nearestNames(key, count) {
  return [...new Set(TARGETS.flatMap((t) => [...t.platforms, ...t.aliases]))].map((name) => ({ name, distance: editDistance(key, name.replace(/^linux\//, "")) })).sort((a, b) => a.distance - b.distance || a.name.length - b.name.length).slice(0, count).map((entry) => entry.name);
}
function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let current = [i];
    for (let j = 1; j <= b.length; j++) {
      let substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
var BY_NAME, init_platform = __esm({
  "../core/src/platform.ts"() {
    "use strict";
    init_errors();
    init_targets();
    BY_NAME = /* @__PURE__ */ new Map();
    for (let target of TARGETS)
      for (let name of [target.cpu, ...target.platforms, ...target.aliases]) BY_NAME.set(name.toLowerCase(), target);
  }
});

// ../core/src/operations/common.ts
function targetsOf(options, allByDefault = !1) {
  return (options.platforms === void 0 || options.platforms.length === 0) && allByDefault ? [...TARGETS] : resolvePlatforms(options.platforms ?? []);
}
function driverOf(options) {
  return options.driver ?? createLocalDriver({ qemuPath: options.qemuPath });
}
var init_common = __esm({
  "../core/src/operations/common.ts"() {
    "use strict";
    init_local();
    init_platform();
    init_targets();
  }
});

// ../core/src/operations/kernel-problems.ts
function claimantOf(inspection, target) {
  if (inspection.kernel.binfmtEnabled === !1) return;
  let claimants = claimantsOf(inspection.entries, buildProbe(target.cpu));
  return claimants.find((entry) => entry.name === entryName(target)) ?? claimants[0];
}
function kernelProblem(inspection, target) {
  let claims = inspection.hostClaims?.get(target.cpu);
  if (claims && claims.length > 0) {
    let names = claims.join(", "), removals = claims.map((name) => `echo -1 > ${formatCommand([`/proc/sys/fs/binfmt_misc/${name}`])}`);
    return new QusError(
      "QUS_NATIVE_CLAIMED",
      `${names} claims ${canonicalPlatform(target)} programs, which this machine runs natively: its own programs go through QEMU`,
      { hint: `remove ${claims.length > 1 ? "them" : "it"} as root: ${removals.join("; ")}` }
    );
  }
  if (inspection.kernel.binfmtEnabled === !1 && !inspection.native.has(target.cpu))
    return new QusError(
      "QUS_BINFMT_DISABLED",
      "binfmt_misc is switched off as a whole: the kernel uses none of its entries",
      { hint: "switch it on as root: echo 1 > /proc/sys/fs/binfmt_misc/status" }
    );
}
var init_kernel_problems = __esm({
  "../core/src/operations/kernel-problems.ts"() {
    "use strict";
    init_entry();
    init_errors();
    init_probe();
    init_shell_quote();
    init_targets();
  }
});

// ../core/src/operations/ensure.ts
async function ensure(options) {
  let targets = targetsOf(options), flags = parseFlags(options.flags ?? DEFAULT_FLAGS), dryRun2 = options.dryRun ?? !1, driver = driverOf(options), inspection = await driver.inspect({ targets, mount: !dryRun2, verify: !dryRun2 }), steps = plan({
    targets,
    entries: inspection.entries,
    native: new Set(inspection.native.keys()),
    interpreters: inspection.interpreters,
    flags,
    replace: options.replace ?? !1,
    probes: inspection.probes
  }), problems = new Map(targets.map((target) => [target.cpu, kernelProblem(inspection, target)])), changes = steps.filter((step) => changesKernel(step) && !problems.get(step.target.cpu)), outcome = !dryRun2 && changes.length > 0 ? await driver.apply(
    changes,
    changes.map((step) => step.target)
  ) : void 0, entriesAfter = outcome?.entries ?? inspection.entries, versions = new Map([...inspection.qemuVersions, ...outcome?.qemuVersions ?? []]), platforms2 = steps.map((step) => {
    let name = entryName(step.target), native = step.action === "native";
    return describePlatform({
      target: step.target,
      action: step.action,
      before: native ? "native" : entryState(step.existing),
      after: native ? "native" : entriesAfter.find((entry) => entry.name === name),
      probe: outcome?.probes.get(step.target.cpu) ?? inspection.probes.get(step.target.cpu),
      qemuVersions: versions,
      foundInterpreter: inspection.interpreters.get(step.target.cpu)?.path,
      reasons: step.reasons,
      claimant: claimantOf({ ...inspection, entries: entriesAfter }, step.target),
      interpreterFiles: inspection.interpreterFiles,
      error: problems.get(step.target.cpu) ?? outcome?.failures.get(step.target.cpu),
      requireVerified: !dryRun2
    });
  }), lost = steps.flatMap((step) => step.action === "replace" ? step.alsoServed ?? [] : []), report = buildReport("ensure", driver.name, inspection, platforms2, dryRun2);
  return lost.length > 0 ? { ...report, warnings: [...report.warnings, ...lost] } : report;
}
var init_ensure = __esm({
  "../core/src/operations/ensure.ts"() {
    "use strict";
    init_flags();
    init_plan();
    init_build2();
    init_targets();
    init_common();
    init_kernel_problems();
  }
});

// ../core/src/operations/persist.ts
import { mkdir as mkdir3, readFile as readFile2, writeFile as writeFile2 } from "node:fs/promises";
import { join as join8 } from "node:path";
async function persist(options = {}) {
  let targets = targetsOf(options, !0), dir = options.dir ?? BINFMT_D, dryRun2 = options.dryRun ?? !1, driver = driverOf(options), inspection = await driver.inspect({ targets, mount: !1, verify: !0 }), asked = options.platforms !== void 0, files = [], platforms2 = [];
  for (let target of targets) {
    let entry = inspection.entries.find((candidate) => candidate.name === entryName(target));
    if (!entry && !asked) continue;
    let persistable = entry ? await persistableLine(inspection, target, entry, dir) : void 0, blocker = persistable instanceof QusError ? persistable : void 0, registration = persistable instanceof QusError ? void 0 : persistable;
    if (registration) {
      let content = `${PERSIST_MARKER}
${renderRegister(registration)}
`;
      files.push({ path: join8(dir, `${registration.name}.conf`), content, written: !1 });
    }
    platforms2.push(
      describePlatform({
        target,
        action: "none",
        before: entryState(entry),
        after: entry,
        probe: entry ? inspection.probes.get(target.cpu) : void 0,
        qemuVersions: inspection.qemuVersions,
        claimant: claimantOf(inspection, target),
        interpreterFiles: inspection.interpreterFiles,
        reasons: entry ? [] : ["not registered: nothing to persist (run qus ensure first)"],
        error: blocker,
        requireVerified: entry !== void 0
      })
    );
  }
  let written = dryRun2 ? files : await writeFiles(dir, files);
  return { ...buildReport("persist", driver.name, inspection, platforms2, dryRun2), files: written };
}
async function persistableLine(inspection, target, entry, dir) {
  let problem = kernelProblem(inspection, target);
  if (problem) return problem;
  let registration = registrationOf(entry);
  if (!registration)
    return new QusError("QUS_PERSIST_FAILED", `${entry.name} cannot be written as a binfmt.d line`, {
      hint: "re-register it: qus ensure --replace"
    });
  if (!inspection.probes.get(target.cpu)?.ok)
    return new QusError("QUS_PERSIST_FAILED", `${entry.name} does not verify: persisting it would break at boot too`, {
      hint: "fix it first (qus ensure --replace), then persist"
    });
  let version = inspection.qemuVersions.get(entry.interpreter);
  if (!version || !new RegExp(`^qemu-${target.cpu}\\s`).test(version))
    return new QusError(
      "QUS_PERSIST_FAILED",
      `${entry.interpreter} ${version ? `is ${version.split(" ")[0]}, not qemu-${target.cpu}` : "no longer runs as QEMU (missing or replaced)"}: at boot ${entry.name} would not work`,
      { hint: "install qemu-user-static again and re-register: qus ensure --replace, then persist" }
    );
  let path = join8(dir, `${entry.name}.conf`), existing = await readFile2(path, "utf8").catch(() => {
  });
  return existing !== void 0 && !existing.startsWith(PERSIST_MARKER) ? new QusError("QUS_PERSIST_CONFLICT", `${path} exists and was not written by qus: left as it is`, {
    hint: "compare it with qus persist --dry-run, then move it away or pass --dir to write elsewhere"
  }) : registration;
}
async function writeFiles(dir, files) {
  if (files.length === 0) return [];
  try {
    return await mkdir3(dir, { recursive: !0 }), await Promise.all(
      files.map(async (file) => (await writeFile2(file.path, file.content, { mode: 420 }), { ...file, written: !0 }))
    );
  } catch (error) {
    let denied = errnoCode(error) === "EACCES" || errnoCode(error) === "EPERM";
    throw new QusError(
      denied ? "QUS_NOT_ROOT" : "QUS_PERSIST_FAILED",
      `could not write binfmt.d files to ${dir}: ${errnoCode(error) ?? String(error)}`,
      {
        hint: "run as root, or pass --dir to a writable folder, or --dry-run to print them",
        cause: error
      }
    );
  }
}
var BINFMT_D, PERSIST_MARKER, init_persist = __esm({
  "../core/src/operations/persist.ts"() {
    "use strict";
    init_register();
    init_errors();
    init_build2();
    init_targets();
    init_common();
    init_kernel_problems();
    BINFMT_D = "/etc/binfmt.d", PERSIST_MARKER = "# Written by qus (qus persist): registers QEMU at boot through systemd-binfmt.";
  }
});

// ../core/src/operations/remove.ts
async function remove(options) {
  let targets = targetsOf(options), dryRun2 = options.dryRun ?? !1, driver = driverOf(options), inspection = await driver.inspect({ targets, mount: !1, verify: !1 }), present = targets.filter((target) => inspection.entries.some((entry) => entry.name === entryName(target))), outcome = !dryRun2 && present.length > 0 ? await driver.remove(present.map(entryName)) : void 0, removals = targets.map((target) => {
    let name = entryName(target), entry = inspection.entries.find((candidate) => candidate.name === name), removed = outcome?.removed.includes(name) ?? !1, after = outcome?.entries ? outcome.entries.find((candidate) => candidate.name === name) : removed || dryRun2 ? void 0 : entry;
    return describePlatform({
      target,
      action: entry ? "remove" : "none",
      before: entryState(entry),
      after: dryRun2 ? void 0 : after,
      qemuVersions: inspection.qemuVersions,
      reasons: entry ? [] : ["no entry to remove"],
      error: outcome?.failures.get(name),
      requireVerified: !1
    });
  }).map((platform) => ({
    ...platform,
    ok: platform.error === void 0 && (dryRun2 || platform.after === "absent")
  }));
  return buildReport("remove", driver.name, inspection, removals, dryRun2);
}
var init_remove = __esm({
  "../core/src/operations/remove.ts"() {
    "use strict";
    init_build2();
    init_targets();
    init_common();
  }
});

// ../core/src/operations/status.ts
function status2(options = {}) {
  return inspectReport(options, !1);
}
function verify(options) {
  return inspectReport(options, !0);
}
async function inspectReport(options, runProbes) {
  let targets = targetsOf(options, !runProbes), driver = driverOf(options), inspection = await driver.inspect({ targets, mount: !1, verify: runProbes }), platforms2 = targets.map((target) => {
    let entry = inspection.entries.find((candidate) => candidate.name === entryName(target)), native = inspection.native.has(target.cpu), unclaimed = { ok: !1, failure: "no-handler" };
    return describePlatform({
      target,
      action: "none",
      before: native ? "native" : entryState(entry),
      after: native ? "native" : entry,
      probe: runProbes ? inspection.probes.get(target.cpu) ?? unclaimed : void 0,
      qemuVersions: inspection.qemuVersions,
      foundInterpreter: inspection.interpreters.get(target.cpu)?.path,
      reasons: native ? [inspection.native.get(target.cpu) ?? "runs natively"] : entry ? [] : ["not registered"],
      claimant: claimantOf(inspection, target),
      interpreterFiles: inspection.interpreterFiles,
      error: kernelProblem(inspection, target),
      requireVerified: runProbes
    });
  });
  return buildReport(runProbes ? "verify" : "status", driver.name, inspection, platforms2, !1);
}
var init_status = __esm({
  "../core/src/operations/status.ts"() {
    "use strict";
    init_build2();
    init_targets();
    init_common();
    init_kernel_problems();
  }
});

// ../core/src/report/render-json.ts
function renderJson(report) {
  return `${JSON.stringify(report, null, 2)}
`;
}
var init_render_json = __esm({
  "../core/src/report/render-json.ts"() {
    "use strict";
  }
});

// ../core/src/report/render-junit.ts
function xml(text2) {
  return text2.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "").replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}
function whyNot(platform) {
  let why = [platform.error?.message, platform.verification, ...platform.reasons].filter(Boolean);
  return why.length > 0 ? why.join("; ") : `${platform.action}: not ok`;
}
function testcase(report, platform) {
  let open2 = `    <testcase classname="${xml(`qus.${report.command}`)}" name="${xml(platform.platform)}" time="0"`;
  if (platform.ok) return `${open2}/>`;
  let type = platform.error?.code ?? platform.failure ?? platform.action, body = [
    `platform: ${platform.platform} (${platform.cpu})`,
    `before: ${platform.before}, action: ${platform.action}, after: ${platform.after}`,
    `verified: ${platform.verified === null ? "not checked" : platform.verified ? "yes" : "no"}`,
    ...platform.hint ? [`hint: ${platform.hint}`] : []
  ].join(`
`);
  return [
    `${open2}>`,
    `      <failure type="${xml(type)}" message="${xml(whyNot(platform))}">${xml(body)}</failure>`,
    "    </testcase>"
  ].join(`
`);
}
function renderJunit(report) {
  let failures = report.platforms.filter((platform) => !platform.ok).length, name = xml(`qus ${report.command} (${report.driver})`);
  return `${[
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="qus" tests="${report.platforms.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${name}" tests="${report.platforms.length}" failures="${failures}" errors="0" skipped="0">`,
    ...report.platforms.map((platform) => testcase(report, platform)),
    ...report.warnings.length > 0 ? [`    <system-out>${xml(report.warnings.map((w) => `warning: ${w}`).join(`
`))}</system-out>`] : [],
    "  </testsuite>",
    "</testsuites>"
  ].join(`
`)}
`;
}
var init_render_junit = __esm({
  "../core/src/report/render-junit.ts"() {
    "use strict";
  }
});

// ../core/src/report/columns.ts
function columnsOf(report) {
  return report.command === "status" || report.command === "verify" ? LOOK_COLUMNS : COLUMNS;
}
function notes(platforms2) {
  let groups = /* @__PURE__ */ new Map();
  for (let p of platforms2.filter((candidate) => !candidate.ok || candidate.hint || candidate.action === "conflict")) {
    let why = [p.error?.message, ...p.reasons, p.verification].filter(Boolean).join("; "), template = p.hint?.split(p.platform).join("\0"), key = `${why}${template ?? ""}`, group = groups.get(key) ?? { why, template, members: [] };
    group.members.push(p), groups.set(key, group);
  }
  return [...groups.values()].map(({ why, template, members }) => {
    let [only] = members;
    if (members.length === 1 && only) return `${only.platform}: ${why}${only.hint ? ` (hint: ${only.hint})` : ""}`;
    let hint = template === void 0 ? "" : ` (hint: ${groupHint(template, members, platforms2)})`;
    return `${members.length} platforms: ${why}${hint}`;
  });
}
function groupHint(template, members, platforms2) {
  let names = platforms2.length === TARGETS.length && members.length === platforms2.filter((p) => !p.ok).length ? "all" : members.map((p) => p.platform).join(",");
  return template.split("\0").join(names).replace(/\bit:/, "them:");
}
var verified, qemu, COLUMNS, LOOK_COLUMNS, init_columns = __esm({
  "../core/src/report/columns.ts"() {
    "use strict";
    init_targets();
    verified = (p) => p.verified === null ? "-" : p.verified ? "yes" : "NO", qemu = (p) => /version (\S+)/.exec(p.qemuVersion ?? "")?.[1] ?? "", COLUMNS = [
      { title: "platform", value: (p) => p.platform },
      { title: "before", value: (p) => p.before },
      { title: "action", value: (p) => p.action },
      { title: "after", value: (p) => p.after },
      { title: "verified", value: verified },
      { title: "flags", value: (p) => p.flags ?? "" },
      { title: "interpreter", value: (p) => p.interpreter ?? "" },
      { title: "qemu", value: qemu }
    ], LOOK_COLUMNS = [
      { title: "platform", value: (p) => p.platform },
      { title: "state", value: (p) => p.before },
      { title: "verified", value: verified },
      { title: "flags", value: (p) => p.flags ?? "" },
      { title: "interpreter", value: (p) => p.interpreter ?? "" },
      { title: "qemu", value: qemu }
    ];
  }
});

// ../core/src/report/render-markdown.ts
function renderMarkdown(report) {
  let columns = columnsOf(report), out = [
    `### qus ${report.command}${report.dryRun ? " (dry run)" : ""}: ${report.ok ? "\u2705 all platforms ok" : "\u274C some platforms not ok"}`,
    "",
    `| ${columns.map((column) => column.title).join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...report.platforms.map(
      (platform) => `| ${columns.map((column) => cell(column.value(platform)) || " ").join(" | ")} |`
    )
  ], lines = [...notes(report.platforms), ...report.warnings.map((warning) => `warning: ${warning}`)];
  return lines.length > 0 && out.push("", ...lines.map((line) => `- ${cell(line)}`)), `${out.join(`
`)}
`;
}
var cell, init_render_markdown = __esm({
  "../core/src/report/render-markdown.ts"() {
    "use strict";
    init_columns();
    cell = (text2) => text2.replaceAll("|", "\\|").replaceAll(`
`, " ");
  }
});

// ../core/src/report/render-table.ts
function shouldColor(stream, env = process.env) {
  return stream.isTTY === !0 && !env.NO_COLOR && env.TERM !== "dumb";
}
function renderTable(report, options) {
  let columns = columnsOf(report), rows = report.platforms.map((platform) => columns.map((column) => column.value(platform))), widths = columns.map((column, i) => Math.max(column.title.length, ...rows.map((row) => row[i]?.length ?? 0))), line = (cells) => cells.map((cell2, i) => cell2.padEnd(widths[i] ?? 0)).join("  ").trimEnd(), out = [line(columns.map((column) => column.title))];
  report.platforms.forEach((platform, i) => {
    let text2 = line(rows[i] ?? []);
    out.push(options.color ? paint(platform.ok ? 32 : 31, text2) : text2);
  });
  for (let note of notes(report.platforms)) out.push(`  ${note}`);
  for (let warning of report.warnings) out.push(`warning: ${warning}`);
  let failed = report.platforms.filter((platform) => !platform.ok).length, verdict2 = failed === 0 ? `${report.command}: all ${report.platforms.length} platforms ok` : `${report.command}: ${failed} of ${report.platforms.length} platforms not ok`;
  return out.push(`${report.dryRun ? "(dry run) " : ""}${options.color ? paint(failed === 0 ? 32 : 31, verdict2) : verdict2}`), `${out.join(`
`)}
`;
}
var paint, init_render_table = __esm({
  "../core/src/report/render-table.ts"() {
    "use strict";
    init_columns();
    paint = (code, text2) => `\x1B[${code}m${text2}\x1B[0m`;
  }
});

// ../core/src/runner/podman-cli.ts
function describePodmanEndpoint(connection, env = process.env) {
  return connection !== void 0 ? `connection ${quoteShellArg(connection)}` : env.CONTAINER_HOST ? env.CONTAINER_HOST : env.CONTAINER_CONNECTION ? `connection ${quoteShellArg(env.CONTAINER_CONNECTION)}` : "the default endpoint";
}
function parsePodmanInfo(json2, endpoint2) {
  let info = parseInfoObject("podman", json2), version = info.version?.Version;
  if (!version || !info.host) throw unreachable(endpoint2, "podman info reported no engine", UNREACHABLE_HINT2);
  let security = info.host.security ?? {}, rootless = security.rootless === !0, mapped = (info.host.idMappings?.uidmap ?? []).length > 0, architecture = info.host.arch || "unknown";
  return {
    info: {
      cpu: cpuOfEngineArch(architecture),
      architecture,
      version,
      rootless,
      // A rootful podman whose own process runs in a user namespace: root in its containers is not root here.
      userns: !rootless && mapped,
      endpoint: endpoint2
    },
    confinement: { apparmor: security.apparmorEnabled === !0, selinux: security.selinuxEnabled === !0 }
  };
}
function podmanEndpointFailure(connection, endpoint2, result, what) {
  if (result.exitCode === 0) return;
  let text2 = `${result.stderr}
${result.stdout}`, found = CONNECTION_NOT_FOUND.exec(text2);
  if (found) {
    let name = connection ?? process.env.CONTAINER_CONNECTION ?? found[1] ?? "", from = connection !== void 0 ? "" : process.env.CONTAINER_CONNECTION ? " (from CONTAINER_CONNECTION)" : "";
    return new QusError("QUS_USAGE", `the podman connection ${quoteShellArg(name)}${from} does not exist`, {
      hint: `list the connections with ${formatCommand(CONNECTIONS)} and pass one of them with --context`
    });
  }
  if (CANNOT_CONNECT2.test(text2))
    return unreachable(endpoint2, `${what} failed: ${describeRunFailure(result)}`, UNREACHABLE_HINT2);
  if (RLIMIT.test(text2))
    return new QusError(
      "QUS_PRIVILEGE_DENIED",
      `podman at ${endpoint2} cannot start containers: it may not set its default resource limits in them (${describeRunFailure(result)})`,
      {
        hint: "set `default_ulimits = []` under [containers] in a containers.conf (tools/setup-podman.sh writes /etc/containers/containers.conf.d/qus.conf; or point CONTAINERS_CONF at one)"
      }
    );
}
function createPodmanCliRunner(options = {}) {
  let { connection } = options, endpoint2 = describePodmanEndpoint(connection);
  return createCliRunner(
    {
      ...PODMAN,
      program: options.podman ?? "podman",
      target: connection === void 0 ? void 0 : { option: "--connection", noun: "podman connection", value: connection, list: CONNECTIONS },
      endpoint: endpoint2,
      endpointFailure: (result, what) => podmanEndpointFailure(connection, endpoint2, result, what)
    },
    options
  );
}
var UNREACHABLE_HINT2, CONNECTION_NOT_FOUND, CANNOT_CONNECT2, RLIMIT, CONNECTIONS, PODMAN, init_podman_cli = __esm({
  "../core/src/runner/podman-cli.ts"() {
    "use strict";
    init_architectures();
    init_errors();
    init_shell_quote();
    init_cli_runner();
    UNREACHABLE_HINT2 = "run qus as root where podman runs its containers (rootful), or point CONTAINER_HOST / --context at a podman service that answers";
    CONNECTION_NOT_FOUND = /"((?:[^"\\]|\\.)*)" service destination not found/i, CANNOT_CONNECT2 = /Cannot connect to Podman|unable to connect to Podman socket/i, RLIMIT = /error setting rlimits?\b|setting rlimit type \d+/i;
    CONNECTIONS = ["podman", "system", "connection", "list"], PODMAN = {
      name: "podman",
      hints: {
        install: "install podman (apt-get install podman; tools/setup-podman.sh), or use --driver local",
        unreachable: UNREACHABLE_HINT2,
        buildTimeout: "check the engine (podman ps, podman info), then run qus image build --driver podman again"
      },
      infoArgs: ["info", "--format", "json"],
      parseInfo: parsePodmanInfo,
      noSuchImage: /image not known|no such image/i
    };
  }
});

// ../core/src/index.ts
var init_src = __esm({
  "../core/src/index.ts"() {
    "use strict";
    init_cleanup();
    init_container();
    init_errors();
    init_exec();
    init_build();
    init_ensure();
    init_persist();
    init_remove();
    init_status();
    init_platform();
    init_probe();
    init_probe_words();
    init_render_json();
    init_render_junit();
    init_render_markdown();
    init_render_table();
    init_docker_cli();
    init_podman_cli();
    init_shell_quote();
    init_targets();
  }
});

// ../cli/src/engines.ts
var engines_exports = {};
__export(engines_exports, {
  buildImageOn: () => buildImageOn,
  engineDriver: () => engineDriver,
  engineRunner: () => engineRunner
});
function engineRunner(engine, context) {
  let create = RUNNERS[engine];
  if (!create) throw new Error(`no runner for engine ${engine}`);
  return create(context);
}
function engineDriver(engine, options) {
  return createContainerDriver({
    runner: engineRunner(engine, options.context),
    image: options.image,
    privileged: options.privileged
  });
}
function buildImageOn(engine, context, options) {
  return buildImage({ ...options, runner: engineRunner(engine, context) });
}
var RUNNERS, init_engines = __esm({
  "../cli/src/engines.ts"() {
    "use strict";
    init_src();
    RUNNERS = {
      docker: (context) => createDockerCliRunner({ context }),
      podman: (connection) => createPodmanCliRunner({ connection })
    };
  }
});

// ../buildx/src/buildx-command.ts
import { spawnSync as spawnSync2 } from "node:child_process";
function createBuildxCli(exec, context, docker = "docker") {
  let global = context ? ["--context", context] : [], argv = (args) => [...global, ...args], displayDocker = (args) => formatCommand([docker, ...argv(args)]);
  async function runDocker(args, timeoutMs) {
    let result = await exec(docker, argv(args), { timeoutMs });
    if (result.startError === "ENOENT")
      throw new QusError("QUS_ENGINE_UNREACHABLE", `the docker client (${docker}) is not installed`, {
        hint: "install the docker CLI and its buildx plugin"
      });
    if (result.timedOut) throw timeoutError(displayDocker(args), timeoutMs, result);
    return result;
  }
  return {
    async run(args, { timeoutMs }) {
      let result = await runDocker(["buildx", ...args], timeoutMs);
      if (result.exitCode !== 0 && /is not a docker command|unknown command "buildx"/i.test(result.stderr))
        throw new QusError("QUS_ENGINE_UNREACHABLE", "docker buildx is not installed", {
          hint: "install the buildx plugin (package docker-buildx on Debian 13 and Ubuntu; bash tools/setup-docker.sh in qus's repository does it on Debian 12)"
        });
      return result;
    },
    docker: (args, { timeoutMs }) => runDocker(args, timeoutMs),
    display: (args) => displayDocker(["buildx", ...args]),
    displayDocker,
    runSync(args, { timeoutMs }) {
      let result = spawnSync2(docker, argv(["buildx", ...args]), {
        encoding: "utf8",
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        stdio: ["ignore", "pipe", "pipe"]
      });
      return { exitCode: result.status ?? void 0, stdout: result.stdout ?? "" };
    }
  };
}
function timeoutError(command, timeoutMs, result) {
  let detail = result ? tail(result) : "";
  return new QusError(
    "QUS_TIMEOUT",
    `${command} did not finish within ${seconds(timeoutMs)} and was killed${detail ? ` (last output: ${detail})` : ""}`,
    { hint: "check that the docker engine answers (docker info) and is not overloaded, then run again" }
  );
}
function seconds(ms) {
  return `${Number((ms / 1e3).toFixed(1))} s`;
}
function createArgs2(name, driver, driverOpts, use, node) {
  return [
    "create",
    "--name",
    name,
    ...node ? ["--node", node] : [],
    "--driver",
    driver,
    ...driverOpts.flatMap((opt) => ["--driver-opt", opt]),
    ...use ? ["--use"] : []
  ];
}
function inspectArgs(name) {
  return ["inspect", "--bootstrap", name];
}
function proofBuildArgs(builder, platform, contextDir) {
  return [
    "build",
    "--builder",
    builder,
    "--platform",
    platform,
    "--no-cache",
    "--progress",
    "plain",
    "--output",
    "type=cacheonly",
    contextDir
  ];
}
function togetherBuildArgs(builder, contextDir) {
  return ["build", "--builder", builder, "--no-cache", "--progress", "plain", "--output", "type=cacheonly", contextDir];
}
function tail(result, lines = 3) {
  return (result.stderr || result.stdout).trim().split(`
`).slice(-lines).join(" ").trim();
}
function lastError(result) {
  return `${result.stdout}
${result.stderr}`.split(`
`).map((line) => line.trim()).filter((line) => /^ERROR:/.test(line)).at(-1) ?? tail(result);
}
function isNoBuilder(result) {
  return /no builder .* found/i.test(`${result.stderr}
${result.stdout}`);
}
var DEFAULT_TIMEOUTS, init_buildx_command = __esm({
  "../buildx/src/buildx-command.ts"() {
    "use strict";
    init_src();
    DEFAULT_TIMEOUTS = {
      info: 2e4,
      inspect: 3e4,
      create: 6e4,
      bootstrap: 3e5,
      build: 18e4,
      use: 3e4,
      stop: 6e4
    };
  }
});

// ../buildx/src/engine.ts
async function checkEngine(cli, context, timeoutMs) {
  let command = cli.displayDocker(INFO_ARGS), where = endpoint(context), result;
  try {
    result = await cli.docker(INFO_ARGS, { timeoutMs });
  } catch (error) {
    throw isQusError(error) && error.code === "QUS_TIMEOUT" ? new QusError(
      "QUS_ENGINE_UNREACHABLE",
      `the docker engine at ${where} does not answer: ${command} got no reply within ${seconds(timeoutMs)}`,
      { hint: "check that dockerd runs and that DOCKER_HOST / --context point at it", cause: error }
    ) : error;
  }
  let output = `${result.stderr}
${result.stdout}`;
  if (context !== void 0 && /context .*(not found|does not exist)/i.test(output))
    throw new QusError("QUS_USAGE", `--context ${JSON.stringify(context)}: no such docker context`, {
      hint: "list the contexts with: docker context ls"
    });
  let info;
  try {
    info = JSON.parse(result.stdout.trim() || "null") ?? void 0;
  } catch {
    info = void 0;
  }
  if (result.exitCode !== 0 || !info?.ServerVersion) {
    let detail = info?.ServerErrors?.join("; ") || tail(result) || `exit code ${result.exitCode ?? result.signal}`;
    throw new QusError("QUS_ENGINE_UNREACHABLE", `cannot reach the docker engine at ${where}: ${detail}`, {
      hint: "start the engine (dockerd), or point DOCKER_HOST / --context at a running one"
    });
  }
  return { context: context ?? info.ClientInfo?.Context ?? "default", serverVersion: info.ServerVersion };
}
function endpoint(context) {
  return context !== void 0 ? `context ${context}` : process.env.DOCKER_HOST ?? process.env.DOCKER_CONTEXT ?? "the default endpoint";
}
var INFO_ARGS, init_engine = __esm({
  "../buildx/src/engine.ts"() {
    "use strict";
    init_src();
    init_buildx_command();
    INFO_ARGS = ["info", "--format", "{{json .}}"];
  }
});

// ../buildx/src/inspect.ts
function parseInspect(stdout) {
  let builder = { name: "", driver: "" }, nodes = [], inNodes = !1;
  for (let line of stdout.split(`
`)) {
    let colon = line.indexOf(":");
    if (/^\s/.test(line) || colon < 0) continue;
    let key = line.slice(0, colon).trim().toLowerCase(), value = line.slice(colon + 1).trim(), node = nodes.at(-1);
    if (key === "nodes") inNodes = !0;
    else if (!inNodes)
      key === "name" ? builder.name = value : key === "driver" && (builder.driver = value);
    else if (key === "name")
      nodes.push({ name: value, status: "unknown", platforms: [], preferred: [], errors: [] });
    else if (node) {
      if (key === "endpoint") node.endpoint = value;
      else if (key === "status") node.status = value;
      else if (key === "buildkit" || key === "buildkit version") node.buildkit = value;
      else if (key === "error") node.errors.push(value);
      else if (key === "platforms")
        for (let item of value.split(",").map((platform) => platform.trim())) {
          if (!item) continue;
          let platform = item.replaceAll("*", "");
          node.platforms.push(platform), item.includes("*") && node.preferred.push(platform);
        }
    }
  }
  return { ...builder, nodes };
}
var init_inspect = __esm({
  "../buildx/src/inspect.ts"() {
    "use strict";
  }
});

// ../buildx/src/prove.ts
import { chmodSync as chmodSync3, mkdtempSync as mkdtempSync3, rmSync as rmSync3, writeFileSync as writeFileSync4 } from "node:fs";
import { constants as constants2, tmpdir as tmpdir4 } from "node:os";
import { join as join9 } from "node:path";
async function proveOne(cli, builder, platform, target, options = {}) {
  let dir = mkdtempSync3(join9(tmpdir4(), "qus-proof-")), forget = onInterrupt(() => rmSync3(dir, { recursive: !0, force: !0 }));
  try {
    writeFileSync4(join9(dir, "Dockerfile"), PROOF_DOCKERFILE), writeFileSync4(join9(dir, "probe"), buildProbe(target.cpu)), chmodSync3(join9(dir, "probe"), 493);
    let args = proofBuildArgs(builder, platform, dir), result;
    try {
      result = await cli.run(args, { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUTS.build });
    } catch (error) {
      if (isQusError(error) && error.code === "QUS_TIMEOUT")
        return { platform, proven: !1, failure: "timeout", detail: error.message, code: "QUS_TIMEOUT" };
      throw error;
    }
    if (result.exitCode === 0) return { platform, proven: !0 };
    if (isNoBuilder(result)) throw builderRemoved(builder);
    return { platform, proven: !1, ...probeOutcome(result), code: "QUS_EXEC_FAILED" };
  } finally {
    forget(), rmSync3(dir, { recursive: !0, force: !0 });
  }
}
function builderRemoved(builder) {
  return new QusError("QUS_EXEC_FAILED", `builder ${builder} was removed by another process while qus was proving it`, {
    hint: "run qus buildx again once nothing else removes the builder"
  });
}
function togetherDockerfile(platforms2) {
  let stages = platforms2.map(
    (platform, i) => [`FROM --platform=${platform} scratch AS p${i}`, `COPY probe-${i} /probe`, 'RUN ["/probe"]'].join(`
`)
  ), last = ["FROM scratch", ...platforms2.map((_, i) => `COPY --from=p${i} /probe /p${i}`)].join(`
`);
  return `${[...stages, last].join(`
`)}
`;
}
async function proveTogether(cli, builder, platforms2, options = {}) {
  let dir = mkdtempSync3(join9(tmpdir4(), "qus-proof-")), forget = onInterrupt(() => rmSync3(dir, { recursive: !0, force: !0 }));
  try {
    writeFileSync4(join9(dir, "Dockerfile"), togetherDockerfile(platforms2.map((item) => item.platform))), platforms2.forEach((item, i) => {
      writeFileSync4(join9(dir, `probe-${i}`), buildProbe(item.target.cpu)), chmodSync3(join9(dir, `probe-${i}`), 493);
    });
    let result;
    try {
      result = await cli.run(togetherBuildArgs(builder, dir), {
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUTS.build
      });
    } catch (error) {
      if (isQusError(error) && error.code === "QUS_TIMEOUT") return !1;
      throw error;
    }
    if (result.exitCode === 0) return !0;
    if (isNoBuilder(result)) throw builderRemoved(builder);
    return !1;
  } finally {
    forget(), rmSync3(dir, { recursive: !0, force: !0 });
  }
}
async function proveMany(cli, builder, platforms2, options = {}) {
  return options.together !== !1 && platforms2.length > 1 && await proveTogether(cli, builder, platforms2, options) ? platforms2.map(({ platform }) => ({ platform, proven: !0 })) : proveAll(cli, builder, platforms2, options);
}
function probeOutcome(result) {
  let output = `${result.stdout}
${result.stderr}`, status3 = /\[\/probe\]: exit code: (\d+)|"\/probe" did not complete successfully: exit code: (\d+)/.exec(output), code = Number(status3?.[1] ?? status3?.[2]);
  if (!status3 || !Number.isInteger(code)) return { detail: lastError(result) };
  let execError = /^(?:#\d+ )?[\d.]+ (exec \/probe: (.+))$/m.exec(output), kind = EXEC_ERRORS[execError?.[2]?.trim() ?? ""];
  return kind && execError ? { failure: kind, detail: execError[1]?.trim() ?? "" } : code > 128 ? { failure: "crashed", detail: signalName(code - 128) } : { failure: "exit-status", detail: `status ${code}${execError ? `: ${execError[1]?.trim()}` : ""}` };
}
function signalName(signal) {
  return Object.entries(constants2.signals).find(([, number]) => number === signal)?.[0] ?? `signal ${signal}`;
}
async function proveAll(cli, builder, platforms2, options = {}) {
  let proofs = new Array(platforms2.length), next = 0, failure, worker = async () => {
    for (; next < platforms2.length && !failure; ) {
      let index = next++, item = platforms2[index];
      if (item)
        try {
          proofs[index] = await proveOne(cli, builder, item.platform, item.target, options);
        } catch (error) {
          failure ??= { error };
        }
    }
  };
  if (await Promise.all(Array.from({ length: Math.min(options.parallel ?? 2, platforms2.length) }, worker)), failure) throw failure.error;
  return proofs;
}
var PROOF_DOCKERFILE, EXEC_ERRORS, init_prove = __esm({
  "../buildx/src/prove.ts"() {
    "use strict";
    init_src();
    init_buildx_command();
    PROOF_DOCKERFILE = `FROM scratch
COPY probe /probe
RUN ["/probe"]
`;
    EXEC_ERRORS = {
      "exec format error": "no-handler",
      "no such file or directory": "interpreter-unreachable"
    };
  }
});

// ../buildx/src/bootstrap.ts
import { randomBytes as randomBytes2 } from "node:crypto";
async function bootstrap(options) {
  let exec = options.exec ?? execProcess, timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }, requested = requestedPlatforms(options.platforms), driver = options.driver ?? "docker";
  checkInput(driver, options);
  let shared = shareEngineAnswer(exec), cli = createBuildxCli(shared.exec, options.context), engine = await checkEngine(cli, options.context, timeouts.info), name = builderName(driver, engine.context, options), existing = driver === "docker-container" ? await findBuilder(cli, name, timeouts) : void 0;
  if (existing && existing.driver !== driver)
    throw new QusError(
      "QUS_USAGE",
      `builder ${name} exists with the ${existing.driver || "unknown"} driver, not ${driver}`,
      { hint: "choose another --name, or leave out --driver to use the docker driver" }
    );
  let early = driver === "docker" && !options.dryRun ? bootstrapBuilder(cli, name, timeouts) : void 0;
  early?.catch(() => {
  });
  let timedOut = [], binfmt;
  try {
    binfmt = await ensureBinfmt(options, requested, watchTimeouts(shared.exec, timedOut), timedOut);
  } catch (error) {
    throw await early?.catch(() => {
    }), error;
  }
  let native = new Set(binfmt.platforms.filter((p) => p.action === "native").map((p) => p.cpu)), binfmtChanged = binfmt.platforms.some((p) => ["register", "replace", "enable"].includes(p.action)), warnings = timedOut.map((what) => `while ensuring binfmt, ${what}`);
  if (options.dryRun) {
    let platforms2 = requested.map(({ platform, target }) => ({
      platform,
      listed: !1,
      native: native.has(target.cpu),
      proven: !1
    }));
    return driver === "docker-container" && !existing && warnings.push(`would create builder ${name}`), {
      schemaVersion: 1,
      builder: name,
      driver,
      created: !1,
      refreshed: !1,
      used: !1,
      nodes: [],
      binfmt,
      platforms: platforms2,
      warnings,
      dryRun: !0,
      ok: binfmt.ok
    };
  }
  let created, forgetInterrupt = () => {
  };
  try {
    let prepared = await prepareBuilder(cli, name, driver, options, existing !== void 0, binfmtChanged, timeouts);
    if (created = prepared.created, created) {
      let own = created;
      forgetInterrupt = onInterrupt(() => removeOnInterrupt(cli, own, timeouts));
    }
    warnings.push(...prepared.warnings);
    let refreshed = prepared.refreshed, info;
    early && !binfmtChanged ? info = await early : (await early?.catch(() => {
    }), info = await bootstrapBuilder(cli, name, timeouts));
    let proofOptions = { timeoutMs: timeouts.build }, proofs = await proveMany(cli, name, requested, proofOptions), failedListed = requested.filter(({ platform }, i) => !proofs[i]?.proven && isListed(info, platform));
    failedListed.length > 0 && driver === "docker-container" && !refreshed ? (await refreshNodes(cli, name, timeouts), refreshed = !0, info = await bootstrapBuilder(cli, name, timeouts), proofs = await proveMany(cli, name, requested, proofOptions)) : failedListed.length > 0 && warnings.push(
      `${failedListed.map((item) => item.platform).join(", ")} listed by the builder but not working: its list is stale (the docker driver's BuildKit keeps what it detected until the engine restarts)`
    );
    let unlisted = requested.filter(({ platform }, i) => proofs[i]?.proven && !isListed(info, platform));
    unlisted.length > 0 && warnings.push(
      `${unlisted.map((item) => item.platform).join(", ")} proven but not listed: the builder's platform list is stale`
    );
    let nodeNative = new Set(info.nodes.flatMap((node) => node.preferred)), platforms2 = requested.map(
      ({ platform, target }, i) => toPlatformProof(
        {
          platform,
          target,
          listed: isListed(info, platform),
          native: native.has(target.cpu) || nodeNative.has(platform)
        },
        proofs[i],
        binfmt
      )
    ), ok = binfmt.ok && platforms2.every((platform) => platform.proven), used = !1;
    return options.use && ok ? (await mustSucceed(cli, ["use", name], `could not make ${name} the current builder`, timeouts.use), used = !0) : options.use && warnings.push(`${name} not made the current builder: not every platform is proven`), created && !ok && warnings.push(
      `builder ${name} was created by this run and kept: it runs, but not every platform is proven (remove it with: ${cli.display(["rm", name])})`
    ), forgetInterrupt(), {
      schemaVersion: 1,
      builder: name,
      driver: info.driver || driver,
      created: created !== void 0,
      refreshed,
      used,
      nodes: info.nodes,
      binfmt,
      platforms: platforms2,
      warnings,
      dryRun: !1,
      ok
    };
  } catch (error) {
    throw forgetInterrupt(), created ? withRemoval(error, await removeCreated(cli, created, timeouts), created, cli) : error;
  }
}
function requestedPlatforms(input) {
  let targets = resolvePlatforms(input), written = new Set(platformNames(input).map((name) => name.toLowerCase()));
  return targets.flatMap((target) => {
    let variants = target.platforms.filter((platform) => written.has(platform)), canonical = canonicalPlatform(target);
    return ((variants.length === 0 || written.has("all") || [target.cpu, ...target.aliases].some((name) => written.has(name))) && !variants.includes(canonical) ? [canonical, ...variants] : variants).map((platform) => ({ platform, target }));
  });
}
function validateBuilderName(name) {
  if (!BUILDER_NAME.test(name))
    throw new QusError("QUS_USAGE", `invalid builder name ${JSON.stringify(name)} (--name)`, {
      hint: "a builder name starts with a letter and has only letters, digits, '.', '-' and '_' (buildx's rule)"
    });
  return name;
}
function validateDriverOpt(opt) {
  if (!/^[^=\s,"]+=/.test(opt) || /[\n\r\0]/.test(opt))
    throw new QusError("QUS_USAGE", `invalid --driver-opt ${JSON.stringify(opt)}: expected key=value`, {
      hint: "for example --driver-opt image=moby/buildkit:buildx-stable-1 or --driver-opt network=host"
    });
  return opt;
}
function checkInput(driver, options) {
  if (driver !== "docker" && driver !== "docker-container")
    throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
      hint: "use docker or docker-container"
    });
  options.builder !== void 0 && validateBuilderName(options.builder);
  let opts = options.driverOpts ?? [];
  if (driver === "docker" && opts.length > 0)
    throw new QusError(
      "QUS_USAGE",
      `--driver-opt ${JSON.stringify(opts[0])}: the docker driver takes no driver options`,
      {
        hint: "use --driver docker-container for a builder with driver options"
      }
    );
  for (let opt of opts) validateDriverOpt(opt);
  for (let [key, value] of Object.entries(options.timeouts ?? {}))
    if (!(typeof value == "number" && Number.isFinite(value) && value > 0))
      throw new QusError("QUS_USAGE", `timeout ${key} must be a positive number of milliseconds, not ${value}`);
}
function builderName(driver, context, options) {
  if (driver === "docker") {
    if (options.builder && options.builder.toLowerCase() !== context.toLowerCase())
      throw new QusError(
        "QUS_USAGE",
        `the docker driver's builder is the context's own (${context}), not ${options.builder}`,
        { hint: "leave out --name, or use --driver docker-container for a named builder" }
      );
    return context;
  }
  return options.builder ?? "qus";
}
async function findBuilder(cli, name, timeouts) {
  let result = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
  if (result.exitCode === 0) return parseInspect(result.stdout);
  if (!isNoBuilder(result))
    throw new QusError("QUS_EXEC_FAILED", `could not look up builder ${name}: ${tail(result)}`, {
      hint: `see what buildx says: ${cli.display(["inspect", name])}`
    });
}
async function ensureBinfmt(options, requested, exec, timedOut) {
  try {
    return await ensure({
      platforms: [...new Set(requested.map((item) => canonicalPlatform(item.target)))],
      replace: options.replace,
      dryRun: options.dryRun,
      driver: options.binfmtDriver ?? createContainerDriver({
        runner: createDockerCliRunner({ context: options.context, exec }),
        image: options.image,
        privileged: options.privileged
      })
    });
  } catch (error) {
    if (timedOut.length === 0) throw error;
    let code = isQusError(error) && error.code !== "QUS_EXEC_FAILED" && error.kind !== "operation" ? error.code : "QUS_TIMEOUT", message = isQusError(error) || error instanceof Error ? error.message : String(error);
    throw new QusError(code, `${message} (${timedOut.join("; ")})`, {
      hint: isQusError(error) ? error.hint : void 0,
      cause: error
    });
  }
}
function shareEngineAnswer(exec) {
  let answers = /* @__PURE__ */ new Map(), isInfo = (args) => {
    let global = args.length === INFO_ARGS.length + 2 && args[0] === "--context" ? 2 : 0;
    return args.length === INFO_ARGS.length + global && INFO_ARGS.every((arg, i) => args[global + i] === arg);
  };
  return {
    exec: async (file, args, execOptions) => {
      let key = JSON.stringify([file, ...args]), kept = isInfo(args) ? answers.get(key) : void 0;
      if (kept) return kept;
      let result = await exec(file, args, execOptions);
      return isInfo(args) && result.exitCode === 0 && !result.timedOut && !result.startError && answers.set(key, result), result;
    }
  };
}
function watchTimeouts(exec, timedOut) {
  return async (file, args, execOptions) => {
    let result = await exec(file, args, execOptions);
    if (result.timedOut) {
      let limit = execOptions?.timeoutMs === void 0 ? "its timeout" : seconds(execOptions.timeoutMs);
      timedOut.push(`${formatCommand([file, ...args])} did not finish within ${limit} and was killed`);
    }
    return result;
  };
}
async function prepareBuilder(cli, name, driver, options, exists, binfmtChanged, timeouts) {
  if (driver === "docker") return { refreshed: !1, warnings: [] };
  let warnings = [];
  if (!exists) {
    let node = `${name}-qus-${randomBytes2(4).toString("hex")}`, args = createArgs2(name, driver, options.driverOpts ?? [], !1, node);
    for (let attempt = 1; ; attempt++) {
      let result;
      try {
        result = await cli.run(args, { timeoutMs: timeouts.create });
      } catch (error) {
        let removal = await removeCreated(cli, { name, node }, timeouts);
        throw removal.outcome === "removed" || removal.outcome === "failed" ? withRemoval(error, removal, { name, node }, cli) : error;
      }
      if (result.exitCode === 0) return { created: { name, node }, refreshed: !1, warnings };
      let now = await cli.run(["inspect", name], { timeoutMs: timeouts.inspect });
      if (now.exitCode === 0)
        return isOwn(now.stdout, { name, node }) ? { created: { name, node }, refreshed: !1, warnings } : (warnings.push(`builder ${name} was created by another process meanwhile: used as it is`), { refreshed: !1, warnings });
      if (attempt >= 2 || !CREATE_RACE.test(`${result.stderr}
${result.stdout}`))
        throw createFailure(cli, name, args, result);
    }
  }
  return (options.driverOpts ?? []).length > 0 && warnings.push(
    `builder ${name} exists: --driver-opt not applied (they apply to a builder qus creates; to recreate it, run ${cli.display(["rm", name])} first)`
  ), binfmtChanged || options.replace ? (await refreshNodes(cli, name, timeouts), { refreshed: !0, warnings }) : { refreshed: !1, warnings };
}
function createFailure(cli, name, args, result) {
  let detail = lastError(result);
  return /invalid|parse error|failed to initialize builder|unknown/i.test(detail) ? new QusError("QUS_USAGE", `buildx refused the driver options of builder ${name}: ${detail}`, {
    hint: `check the --driver-opt values (key=value, as buildx's docker-container driver takes them); the command was: ${cli.display(args)}`
  }) : new QusError("QUS_EXEC_FAILED", `could not create builder ${name}: ${detail}`, {
    hint: `see what buildx says: ${cli.display(args)}`
  });
}
async function refreshNodes(cli, name, timeouts) {
  let args = ["stop", name], result = await cli.run(args, { timeoutMs: timeouts.stop });
  if (result.exitCode !== 0)
    throw isNoBuilder(result) ? builderGone(name, "restarting it") : new QusError("QUS_EXEC_FAILED", `could not restart builder ${name}: ${tail(result)}`, {
      hint: `see what buildx says: ${cli.display(args)}`
    });
}
async function bootstrapBuilder(cli, name, timeouts) {
  let args = inspectArgs(name), result = await cli.run(args, { timeoutMs: timeouts.bootstrap });
  if (result.exitCode !== 0) {
    if (isNoBuilder(result)) throw builderGone(name, "bootstrapping it");
    let detail = lastError(result), output = `${result.stderr}
${result.stdout}`;
    if (isPullFailure(output)) {
      let image = /pulling image (\S+)/i.exec(output)?.[1];
      throw new QusError(
        "QUS_IMAGE_MISSING",
        `could not bootstrap builder ${name}: its BuildKit image${image ? ` ${image}` : ""} cannot be pulled: ${detail}`,
        {
          hint: `the docker-container driver runs ${image ?? "moby/buildkit"} on the engine: load it there (docker load), or name one the engine has with --driver-opt image=REF`
        }
      );
    }
    throw new QusError("QUS_EXEC_FAILED", `could not bootstrap builder ${name}: ${detail}`, {
      hint: `see what buildx says: ${cli.display(args)}`
    });
  }
  return parseInspect(result.stdout);
}
function isPullFailure(output) {
  return /pulling image/i.test(output) && /pull access denied|manifest unknown|not found|no such host|dial tcp|i\/o timeout|connection refused|TLS handshake|unauthorized|Error response from daemon: Get /i.test(
    output
  );
}
function builderGone(name, doing) {
  return new QusError("QUS_EXEC_FAILED", `builder ${name} was removed by another process while qus was ${doing}`, {
    hint: "run qus buildx again once nothing else removes the builder"
  });
}
async function mustSucceed(cli, args, what, timeoutMs) {
  let result = await cli.run(args, { timeoutMs });
  if (result.exitCode !== 0)
    throw new QusError("QUS_EXEC_FAILED", `${what}: ${tail(result)}`, {
      hint: `see what buildx says: ${cli.display(args)}`
    });
}
async function removeCreated(cli, created, timeouts) {
  try {
    let seen = await cli.run(["inspect", created.name], { timeoutMs: timeouts.inspect });
    if (seen.exitCode !== 0)
      return isNoBuilder(seen) ? { outcome: "gone" } : { outcome: "failed", reason: tail(seen) };
    if (!isOwn(seen.stdout, created)) return { outcome: "replaced" };
    let rm2 = await cli.run(["rm", created.name], { timeoutMs: timeouts.stop });
    return rm2.exitCode === 0 ? { outcome: "removed" } : isNoBuilder(rm2) ? { outcome: "gone" } : { outcome: "failed", reason: tail(rm2) };
  } catch (error) {
    return { outcome: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
}
function isOwn(inspectOutput, created) {
  return parseInspect(inspectOutput).nodes.some((node) => node.name.toLowerCase() === created.node.toLowerCase());
}
function withRemoval(error, removal, created, cli) {
  let builder = `builder ${created.name}, created by this run,`, note = removal.outcome === "removed" ? `${builder} was removed again` : removal.outcome === "gone" ? `${builder} is gone already (removed by another process)` : removal.outcome === "replaced" ? `${builder} was replaced by another process's builder of that name, left in place` : `${builder} could not be removed: ${removal.reason}`, removeHint = `remove it with: ${cli.display(["rm", created.name])}`;
  if (isQusError(error)) {
    let hint = removal.outcome === "failed" ? [error.hint, removeHint].filter(Boolean).join("; ") : error.hint;
    return new QusError(error.code, `${error.message}; ${note}`, { hint, cause: error });
  }
  return new QusError("QUS_EXEC_FAILED", `${error instanceof Error ? error.message : String(error)}; ${note}`, {
    hint: removal.outcome === "failed" ? removeHint : void 0,
    cause: error
  });
}
function removeOnInterrupt(cli, created, timeouts) {
  let seen = cli.runSync(["inspect", created.name], { timeoutMs: Math.min(timeouts.inspect, 1e4) });
  if (seen.exitCode !== 0 || !isOwn(seen.stdout, created)) return;
  let rm2 = cli.runSync(["rm", created.name], { timeoutMs: Math.min(timeouts.stop, 2e4) });
  process.stderr.write(
    rm2.exitCode === 0 ? `qus: removed builder ${created.name}, which this run had created
` : `qus: could not remove builder ${created.name}, which this run had created: ${cli.display(["rm", created.name])}
`
  );
}
function isListed(info, platform) {
  return info.nodes.some((node) => node.platforms.includes(platform));
}
function toPlatformProof(item, proof, binfmt) {
  let { platform, listed, native } = item;
  if (proof?.proven) return { platform, listed, native, proven: !0 };
  let code = proof?.code ?? "QUS_EXEC_FAILED";
  if (!proof?.failure)
    return { platform, listed, native, proven: !1, detail: proof?.detail, reason: proof?.detail, code };
  let context = failureContext(item.target, proof.failure, proof.detail, binfmt);
  return {
    platform,
    listed,
    native,
    proven: !1,
    failure: proof.failure,
    detail: proof.detail,
    reason: describeFailure(context),
    hint: failureHint(context),
    code
  };
}
function failureContext(target, failure, detail, binfmt) {
  let reported = binfmt.platforms.find((p) => p.cpu === target.cpu), hasEntry = reported && (reported.after === "enabled" || reported.after === "disabled") && reported.interpreter;
  return {
    failure,
    detail,
    chrooted: !0,
    platform: canonicalPlatform(target),
    entry: hasEntry ? {
      name: entryName(target),
      interpreter: reported.interpreter ?? "",
      flags: reported.flags ?? "",
      enabled: reported.after === "enabled"
    } : void 0
  };
}
var CREATE_RACE, BUILDER_NAME, init_bootstrap = __esm({
  "../buildx/src/bootstrap.ts"() {
    "use strict";
    init_src();
    init_buildx_command();
    init_engine();
    init_inspect();
    init_prove();
    CREATE_RACE = /existing instance|did you mean to append/i, BUILDER_NAME = /^[a-zA-Z][a-zA-Z0-9._-]*$/;
  }
});

// ../buildx/src/proven-report.ts
function provenReport(report) {
  let platforms2 = report.binfmt.platforms.map((platform) => {
    let proof = report.platforms.find((candidate) => candidate.platform === platform.platform);
    return !platform.ok || !proof || proof.proven || proof.native || report.dryRun ? platform : {
      ...platform,
      ok: !1,
      verification: `the builder ${report.builder} did not build it: ${proof.reason ?? "not proven"}`,
      ...proof.failure ? { failure: proof.failure } : {},
      ...proof.hint ? { hint: proof.hint } : {}
    };
  });
  return { ...report.binfmt, ok: platforms2.every((platform) => platform.ok), platforms: platforms2 };
}
var init_proven_report = __esm({
  "../buildx/src/proven-report.ts"() {
    "use strict";
  }
});

// ../buildx/src/render.ts
function renderBootstrap(report, options = { color: !1 }) {
  let head = `builder ${report.builder} (${report.driver})${report.created ? ", created" : ""}${report.refreshed ? ", refreshed" : ""}${report.used ? ", made current" : ""}`, nodes = report.nodes.map(
    (node) => `  node ${node.name}: ${node.status}, ${node.buildkit ?? "buildkit ?"}, ${node.platforms.length} platforms listed`
  ), verdict2 = report.ok ? report.dryRun ? `buildx: ${report.platforms.length} platforms to prove` : `buildx: all ${report.platforms.length} platforms proven` : "buildx: some platforms not proven";
  return [
    head,
    ...nodes,
    renderTable(report.binfmt, options).trimEnd(),
    ...report.platforms.map((proof) => report.dryRun ? `${proof.platform}: to prove` : proofLine(proof)),
    ...report.warnings.map((warning) => `warning: ${warning}`),
    `${report.dryRun ? "(dry run) " : ""}${verdict2}
`
  ].join(`
`);
}
function proofLine(proof) {
  let facts = [
    proof.proven ? "proven" : "NOT proven",
    ...proof.native ? ["native"] : [],
    proof.listed ? "listed" : "not listed"
  ].join(", "), why = !proof.proven && proof.reason ? `: ${proof.reason}` : "", detail = proof.detail && !proof.reason?.includes(proof.detail) ? ` (${proof.detail})` : "";
  return `${proof.platform}: ${facts}${why}${detail}${proof.hint ? ` (hint: ${proof.hint})` : ""}`;
}
var init_render = __esm({
  "../buildx/src/render.ts"() {
    "use strict";
    init_src();
  }
});

// ../buildx/src/index.ts
var src_exports = {};
__export(src_exports, {
  BUILDER_NAME: () => BUILDER_NAME,
  DEFAULT_TIMEOUTS: () => DEFAULT_TIMEOUTS,
  bootstrap: () => bootstrap,
  parseInspect: () => parseInspect,
  provenReport: () => provenReport,
  renderBootstrap: () => renderBootstrap
});
var init_src2 = __esm({
  "../buildx/src/index.ts"() {
    "use strict";
    init_bootstrap();
    init_buildx_command();
    init_inspect();
    init_proven_report();
    init_render();
  }
});

// ../gitlab/src/options.ts
import { readFileSync as readFileSync4 } from "node:fs";
function packageVersion() {
  let text2 = readFileSync4(new URL("../package.json", import.meta.url), "utf8");
  return JSON.parse(text2).version;
}
function defaultOptions(version = packageVersion()) {
  return {
    platforms: ["linux/arm64", "linux/riscv64"],
    stage: "test",
    jobPrefix: "qus",
    mode: "ensure",
    image: "docker:28",
    dindImage: "docker:28-dind",
    qus: `npx --yes @qus/cli@${version}`
  };
}
function resolveOptions(options = {}, version) {
  let resolved = { ...defaultOptions(version), ...options }, noNewline = (name, value) => {
    if (/[\r\n]/.test(value) || value.length === 0)
      throw usage(`${name} ${JSON.stringify(value)}: expected one non-empty line`, `give ${name} a value on one line`);
  };
  if (resolved.platforms.length === 0) throw usage("platforms: none given", "name at least one, e.g. linux/arm64");
  for (let platform of resolved.platforms) noNewline("platform", platform);
  for (let [name, value] of [
    ["stage", resolved.stage],
    ["image", resolved.image],
    ["dind-image", resolved.dindImage],
    ["qus", resolved.qus]
  ])
    noNewline(name, value);
  if (!JOB_PREFIX.test(resolved.jobPrefix))
    throw usage(
      `job-prefix ${JSON.stringify(resolved.jobPrefix)}: expected letters, digits, . _ -`,
      "for example job-prefix qus"
    );
  if (!MODES.includes(resolved.mode))
    throw usage(
      `mode ${JSON.stringify(resolved.mode)}: expected one of ${MODES.join(", ")}`,
      "for example mode ensure"
    );
  return resolved;
}
var MODES, JOB_PREFIX, usage, init_options = __esm({
  "../gitlab/src/options.ts"() {
    "use strict";
    init_src();
    MODES = ["ensure", "buildx", "verify"], JOB_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
    usage = (message, hint) => new QusError("QUS_USAGE", message, { hint });
  }
});

// ../gitlab/src/script.ts
function jobScript() {
  if (SUMMARY_JS.includes("'")) throw new Error("the summary script must not contain single quotes");
  return `set -u
qus_dir=${REPORT_DIR}
mkdir -p "$qus_dir"
rm -f "$qus_dir/qus.json" "$qus_dir/junit.xml" "$qus_dir/qus.env"
printf 'QUS_PLATFORMS=\\n' >"$qus_dir/qus.env"
qus_xml() { printf '%s' "$1" | sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g' -e 's/"/\\&quot;/g'; }
qus_fail_junit() {
  # qus stopped before writing its JUnit file: one failed case per platform asked for, so the widget names them.
  [ -s "$qus_dir/junit.xml" ] && return 0
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\\n<testsuites name="qus">\\n'
    printf '  <testsuite name="qus %s">\\n' "$(qus_xml "$QUS_INPUT_MODE")"
    qus_ifs=$IFS; IFS=,; set -f
    for qus_p in \${qus_platforms:-none}; do
      printf '    <testcase classname="qus.%s" name="%s">\\n' "$(qus_xml "$QUS_INPUT_MODE")" "$(qus_xml "$qus_p")"
      printf '      <failure type="exit-%s" message="%s"/>\\n    </testcase>\\n' "$1" "$(qus_xml "$2")"
    done
    set +f; IFS=$qus_ifs
    printf '  </testsuite>\\n</testsuites>\\n'
  } >"$qus_dir/junit.xml"
}
qus_platforms=$(printf '%s' "$QUS_INPUT_PLATFORMS" | tr -d '\\133\\135\\042 ')
if ! command -v node >/dev/null 2>&1 && command -v apk >/dev/null 2>&1; then
  echo "qus: installing Node.js (apk add nodejs npm)"
  apk add --no-cache nodejs npm >/dev/null
fi
if [ -z "\${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ]; then
  export DOCKER_HOST=tcp://docker:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="\${DOCKER_TLS_CERTDIR:-/certs}/client"
  echo "qus: no docker socket here: using the docker:dind service at $DOCKER_HOST"
  qus_wait=0
  while ! docker info >/dev/null 2>&1 && [ "$qus_wait" -lt 60 ]; do qus_wait=$((qus_wait + 1)); sleep 1; done
fi
set -f
# shellcheck disable=SC2086 # split on blanks on purpose: the qus input is a command and its arguments
set -- $QUS_COMMAND
set +f
case "$QUS_INPUT_MODE" in
  ensure) set -- "$@" ensure --driver docker ;;
  buildx) set -- "$@" buildx ;;
  verify) set -- "$@" verify --driver docker ;;
  *)
    echo "qus: error: mode must be ensure, buildx or verify, not: $QUS_INPUT_MODE" >&2
    qus_fail_junit 2 "mode must be ensure, buildx or verify"
    exit 2
    ;;
esac
echo "qus: $QUS_INPUT_MODE on the kernel of the job's Docker engine for: $qus_platforms"
qus_status=0
"$@" --platforms "$qus_platforms" --json --junit "$qus_dir/junit.xml" >"$qus_dir/qus.json" || qus_status=$?
if [ -s "$qus_dir/qus.json" ] && command -v node >/dev/null 2>&1; then
  node -e '${SUMMARY_JS}' "$qus_dir/qus.json" "$qus_dir/qus.env" || { [ "$qus_status" -ne 0 ] || qus_status=1; }
fi
QUS_PLATFORMS=$(sed -n 's/^QUS_PLATFORMS=//p' "$qus_dir/qus.env")
export QUS_PLATFORMS
if [ "$qus_status" -ne 0 ]; then
  qus_fail_junit "$qus_status" "qus exited $qus_status: see the job log for its error and hint"
  echo "qus: failed (exit $qus_status): see the error and hint above; reports in $qus_dir/" >&2
  exit "$qus_status"
fi
echo "qus: ready for $QUS_PLATFORMS"
`;
}
var REPORT_DIR, SUMMARY_JS, init_script = __esm({
  "../gitlab/src/script.ts"() {
    "use strict";
    REPORT_DIR = "qus-report", SUMMARY_JS = [
      'const fs = require("node:fs");',
      'const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));',
      "const rows = r.binfmt",
      "  ? r.platforms.map((p) => ({ platform: p.platform, ok: p.proven === true, why: p.reason, hint: p.hint }))",
      "  : r.platforms.map((p) => ({ platform: p.platform, ok: p.ok, hint: p.hint,",
      '      why: [p.error && p.error.message, p.verification].filter(Boolean).join("; ") }));',
      "for (const row of rows) {",
      '  console.log("qus: " + row.platform + ": " + (row.ok ? "ok" : "FAILED" + (row.why ? ": " + row.why : "")));',
      '  if (!row.ok && row.hint) console.log("hint: " + row.hint);',
      "}",
      'const ok = rows.filter((row) => row.ok).map((row) => row.platform).join(",");',
      'fs.writeFileSync(process.argv[2], "QUS_PLATFORMS=" + ok + "\\n");'
    ].join(`
`);
  }
});

// ../gitlab/src/render.ts
import { createHash } from "node:crypto";
function literal(options) {
  let values = {
    // As GitLab renders an array input inside a string: JSON.
    platforms: JSON.stringify(options.platforms),
    stage: options.stage,
    "job-prefix": options.jobPrefix,
    mode: options.mode,
    image: options.image,
    "dind-image": options.dindImage,
    qus: options.qus
  };
  return (name) => quote(values[name]);
}
function jobKey(component, options, hidden) {
  return component ? `? |-
  ${hidden ? ".$[[ inputs.job-prefix ]]-ensure" : "$[[ inputs.job-prefix ]]-$[[ inputs.mode ]]"}
:` : `${quote(hidden ? `.${options.jobPrefix}-ensure` : `${options.jobPrefix}-${options.mode}`)}:`;
}
function indentBlock(text2, indent) {
  return text2.trimEnd().split(`
`).map((line) => line.length > 0 ? " ".repeat(indent) + line : line).join(`
`);
}
function jobs(component, options) {
  let value = component ? fromInputs() : literal(options), variable = (key, name) => `    ${key}:
      value: ${value(name, 8)}
      expand: false`, hiddenRef = component ? `|-
    .$[[ inputs.job-prefix ]]-ensure` : quote(`.${options.jobPrefix}-ensure`);
  return `# The hidden job: extend it (extends: .${component ? "<job-prefix>" : options.jobPrefix}-ensure) in every job that builds or runs
# foreign images, so that each job ensures the kernel of its own Docker engine (autoscaled runners give every job a
# fresh VM). Its before_script runs qus; your job's script runs after it, with $QUS_PLATFORMS set.
${jobKey(component, options, !0)}
  image:
    name: ${value("image", 6)}
  services:
    - name: ${value("dind-image", 8)}
      alias: docker
  variables:
${variable("QUS_INPUT_PLATFORMS", "platforms")}
${variable("QUS_INPUT_MODE", "mode")}
${variable("QUS_COMMAND", "qus")}
    DOCKER_TLS_CERTDIR: "/certs"
  before_script:
    - |
${indentBlock(jobScript(), 6)}
  artifacts:
    when: always
    paths:
      - ${REPORT_DIR}/
    reports:
      junit: ${REPORT_DIR}/junit.xml
      dotenv: ${REPORT_DIR}/qus.env

# The visible job: ensures the platforms once, in its stage, and passes QUS_PLATFORMS to later jobs (dotenv).
${jobKey(component, options, !1)}
  extends: ${hiddenRef}
  stage: ${value("stage", 4)}
  script:
    - 'echo "qus: reports in ${REPORT_DIR}/ (JSON, JUnit), QUS_PLATFORMS=$QUS_PLATFORMS"'
`;
}
function header(kind, version) {
  return `# ${kind} generated by \`qus gitlab\` (@qus/gitlab ${version}) from packages/gitlab/src: do not edit by hand.
# It registers QEMU in binfmt_misc of the kernel behind the job's Docker engine with qus, proves each platform by
# running a program of it, and reports per platform (JSON artifact, JUnit, dotenv QUS_PLATFORMS). No global keywords.
`;
}
function renderComponent(options = {}, version = packageVersion()) {
  let resolved = resolveOptions(options, version), list = (values) => `[${values.map(quote).join(", ")}]`, spec = `spec:
  inputs:
    platforms:
      type: array
      default: ${list(resolved.platforms)}
      description: "OCI platforms (or qus's names for them) to register in the engine's kernel and prove, e.g. [linux/arm64, linux/riscv64]"
    stage:
      default: ${quote(resolved.stage)}
      description: "Stage of the visible job"
    job-prefix:
      default: ${quote(resolved.jobPrefix)}
      regex: ${quote(JOB_PREFIX.source)}
      description: "Jobs are named <job-prefix>-<mode>, the hidden one .<job-prefix>-ensure"
    mode:
      default: ${quote(resolved.mode)}
      options: ${list(MODES)}
      description: "ensure: register and verify; buildx: also a buildx builder proven to build each platform; verify: check only, change nothing"
    image:
      default: ${quote(resolved.image)}
      description: "Job image: needs a docker CLI, and node (docker:* images get it from apk)"
    dind-image:
      default: ${quote(resolved.dindImage)}
      description: "The docker:dind service reached over TLS when the runner's socket is not mounted"
    qus:
      default: ${quote(resolved.qus)}
      description: "The command that runs qus, split on blanks (no shell quoting)"
---
`;
  return `${header("GitLab CI/CD component", version)}${spec}
${jobs(!0, resolved)}`;
}
function renderRemote(options = {}, version = packageVersion()) {
  let resolved = resolveOptions(options, version);
  return `${header("GitLab CI include file (include: remote)", version)}
${jobs(!1, resolved)}`;
}
function integrityOf(text2) {
  return `sha256-${createHash("sha256").update(text2).digest("base64")}`;
}
var COMPONENT_PATH, fromInputs, quote, init_render2 = __esm({
  "../gitlab/src/render.ts"() {
    "use strict";
    init_options();
    init_script();
    COMPONENT_PATH = "templates/qus.yml", fromInputs = (suffix = "") => (name, indent, prefix = "") => `|-
${" ".repeat(indent)}${prefix}$[[ inputs.${name} ]]${suffix}`, quote = (text2) => JSON.stringify(text2);
  }
});

// ../gitlab/src/index.ts
var src_exports2 = {};
__export(src_exports2, {
  COMPONENT_PATH: () => COMPONENT_PATH,
  JOB_PREFIX: () => JOB_PREFIX,
  MODES: () => MODES,
  REPORT_DIR: () => REPORT_DIR,
  defaultOptions: () => defaultOptions,
  integrityOf: () => integrityOf,
  packageVersion: () => packageVersion,
  renderComponent: () => renderComponent,
  renderRemote: () => renderRemote,
  resolveOptions: () => resolveOptions
});
var init_src3 = __esm({
  "../gitlab/src/index.ts"() {
    "use strict";
    init_options();
    init_render2();
    init_script();
  }
});

// ../cli/src/main.ts
init_src();
import { writeFileSync as writeFileSync6 } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// ../cli/src/commands.ts
init_src();
import { mkdirSync as mkdirSync3, writeFileSync as writeFileSync5 } from "node:fs";
import { dirname as dirname2, join as join10 } from "node:path";

// ../cli/src/exit-codes.ts
init_src();
var EXIT = EXIT_CODES;
function exitCodeForReport(report) {
  if (report.ok) return EXIT.ok;
  let codes = report.platforms.filter((platform) => !platform.ok).map(
    (platform) => platform.error ? exitCodeOf(platform.error.code) : platform.action === "missing-interpreter" ? EXIT.environment : EXIT.notOk
  );
  return codes.includes(EXIT.environment) ? EXIT.environment : codes.includes(EXIT.usage) ? EXIT.usage : EXIT.notOk;
}
function exitCodeForError(error) {
  return isQusError(error) ? exitCodeOf(error.code) : EXIT.notOk;
}

// ../cli/src/commands.ts
var platforms = {
  type: "string",
  multiple: !0,
  value: "LIST",
  help: "platforms, comma separated (repeatable, they add up): linux/arm64,riscv64,arm/v7 or all"
}, json = { type: "boolean", help: "print the report as JSON (stable shape, schemaVersion 1)" }, markdown = { type: "boolean", help: "print the report as Markdown (for CI job summaries)" }, qemuPath = {
  type: "string",
  value: "DIR",
  help: "local driver: look for qemu-<cpu>-static / qemu-<cpu> only in DIR"
}, dryRun = { type: "boolean", help: "report what would be done, change nothing" }, junit = {
  type: "string",
  value: "FILE",
  help: "also write the report as JUnit XML to FILE, one test case per platform (for CI test widgets)"
}, driverOptions = {
  driver: {
    type: "string",
    value: "NAME",
    help: "local: this machine's kernel (default); docker: the kernel behind the docker engine (DOCKER_HOST, DOCKER_CONTEXT); podman: the kernel behind rootful podman (CONTAINER_HOST, CONTAINERS_CONF)"
  },
  image: {
    type: "string",
    value: "REF",
    help: "docker and podman drivers: installer image: qus's own (default qus-binfmt:latest, from qus image build) or a tonistiigi/binfmt image"
  },
  privileged: {
    type: "boolean",
    help: "docker and podman drivers: run the helper --privileged (default: --cap-add SYS_ADMIN, privileged only if that fails)"
  },
  context: {
    type: "string",
    value: "NAME",
    help: "docker driver: docker context to use; podman driver: podman system connection to use"
  }
}, ENGINES = /* @__PURE__ */ new Set(["docker", "podman"]);
function engineFrom(values) {
  let name = text(values, "driver") ?? "docker";
  if (!ENGINES.has(name))
    throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
      hint: "use --driver docker or --driver podman"
    });
  return name;
}
var text = (values, name) => typeof values[name] == "string" ? values[name] : void 0, flag = (values, name) => values[name] === !0;
async function driverFrom(values) {
  let name = text(values, "driver") ?? "local";
  if (name === "local") {
    for (let option of ["image", "privileged", "context"])
      if (values[option] !== void 0)
        throw new QusError("QUS_USAGE", `--${option} goes with --driver docker or --driver podman`, {
          hint: "add --driver docker (or podman), or drop the option"
        });
    return;
  }
  if (ENGINES.has(name)) {
    let { engineDriver: engineDriver2 } = await Promise.resolve().then(() => (init_engines(), engines_exports));
    return engineDriver2(name, {
      context: text(values, "context"),
      image: text(values, "image"),
      privileged: flag(values, "privileged") ? !0 : void 0
    });
  }
  throw new QusError("QUS_USAGE", `unknown driver ${JSON.stringify(name)}`, {
    hint: "use --driver local, --driver docker or --driver podman"
  });
}
var common = async (values) => ({ platforms: text(values, "platforms"), driver: await driverFrom(values) }), COMMANDS = [
  {
    name: "status",
    summary: "show the binfmt_misc entries of the platforms (all by default); changes nothing",
    usage: "qus status [--platforms LIST] [--driver local|docker|podman] [--json]",
    options: { platforms, json, markdown, "qemu-path": qemuPath, ...driverOptions },
    needsPlatforms: !1,
    run: async (v) => ({ report: await status2({ ...await common(v), qemuPath: text(v, "qemu-path") }) })
  },
  {
    name: "ensure",
    summary: "register QEMU for the platforms, apply the least change, verify by running a program of each",
    usage: "qus ensure --platforms LIST|all [--replace] [--flags FLAGS] [--qemu-path DIR] [--driver local|docker|podman] [--dry-run] [--junit FILE] [--json]",
    options: {
      platforms,
      replace: {
        type: "boolean",
        help: "replace entries that differ or stand in the way (otherwise: reported as conflicts)"
      },
      flags: {
        type: "string",
        value: "FLAGS",
        help: "binfmt_misc flags (default FC: F works in containers, C keeps setuid working; P opt-in)"
      },
      "qemu-path": qemuPath,
      "dry-run": dryRun,
      json,
      markdown,
      junit,
      ...driverOptions
    },
    needsPlatforms: !0,
    run: async (v) => ({
      report: await ensure({
        ...await common(v),
        replace: flag(v, "replace"),
        flags: text(v, "flags"),
        qemuPath: text(v, "qemu-path"),
        dryRun: flag(v, "dry-run")
      })
    })
  },
  {
    name: "verify",
    summary: "run a program of each platform the way builds meet it (chrooted), and say which work",
    usage: "qus verify --platforms LIST [--driver local|docker|podman] [--junit FILE] [--json]",
    options: { platforms, json, markdown, junit, "qemu-path": qemuPath, ...driverOptions },
    needsPlatforms: !0,
    run: async (v) => ({ report: await verify({ ...await common(v), qemuPath: text(v, "qemu-path") }) })
  },
  {
    name: "remove",
    summary: "remove qus's entries (qemu-<cpu>) of the platforms; other entries are never touched",
    usage: "qus remove --platforms LIST|all [--driver local|docker|podman] [--dry-run] [--json]",
    options: { platforms, "dry-run": dryRun, json, markdown, ...driverOptions },
    needsPlatforms: !0,
    run: async (v) => ({ report: await remove({ ...await common(v), dryRun: flag(v, "dry-run") }) })
  },
  {
    name: "persist",
    summary: "write systemd binfmt.d files for what is registered, so it survives a reboot",
    usage: "qus persist [--platforms LIST] [--dir DIR] [--dry-run]",
    options: {
      platforms,
      dir: { type: "string", value: "DIR", help: "folder to write qemu-<cpu>.conf files to (default /etc/binfmt.d)" },
      "dry-run": { type: "boolean", help: "print the files instead of writing them" },
      json,
      markdown
    },
    needsPlatforms: !1,
    run: async (v) => ({
      report: await persist({ platforms: text(v, "platforms"), dir: text(v, "dir"), dryRun: flag(v, "dry-run") })
    })
  },
  {
    name: "image build",
    summary: "build qus's installer image (busybox + QEMU from Debian packages, FROM scratch) on the docker or podman engine",
    usage: "qus image build [--tag T] [--deb-dir DIR] [--driver docker|podman] [--context NAME] [--dry-run] [--json]",
    options: {
      tag: {
        type: "string",
        value: "T",
        help: "image tag (default qus-binfmt:latest; qus-binfmt:qemu-<version> is added)"
      },
      "deb-dir": {
        type: "string",
        value: "DIR",
        help: "use busybox-static and qemu-user-static .deb files from DIR instead of downloading"
      },
      driver: {
        type: "string",
        value: "NAME",
        help: "the engine to build on: docker (default; DOCKER_HOST, DOCKER_CONTEXT) or podman (rootful)"
      },
      context: driverOptions.context,
      "dry-run": { type: "boolean", help: "prepare the image and print its Dockerfile, build nothing" },
      json
    },
    needsPlatforms: !1,
    run: async (v) => {
      let engine = engineFrom(v), { buildImageOn: buildImageOn2 } = await Promise.resolve().then(() => (init_engines(), engines_exports)), result = await buildImageOn2(engine, text(v, "context"), {
        tag: text(v, "tag"),
        debDir: text(v, "deb-dir"),
        dryRun: flag(v, "dry-run")
      }), packages = result.packages.map((pkg) => `${pkg.name} ${pkg.version}`).join(", ");
      return { text: `${(result.built ? [
        `built ${result.tags.join(", ")} for ${result.architecture}`,
        `  ${result.qemuVersion}`,
        `  from ${packages}`
      ] : [
        `(dry run) would build ${result.tags.join(", ")} for ${result.architecture} from ${packages}`,
        result.dockerfile
      ]).join(`
`)}
`, json: result };
    }
  },
  {
    name: "buildx",
    summary: "ensure binfmt on the engine's kernel, bootstrap a buildx builder, and prove each platform with a real build",
    usage: "qus buildx --platforms LIST [--name N] [--driver docker|docker-container] [--driver-opt K=V] [--use] [--replace] [--proof-timeout S] [--junit FILE] [--json]",
    options: {
      // Repeatable: --platforms a --platforms b proves both.
      platforms,
      name: {
        type: "string",
        value: "N",
        help: "builder name (docker-container, default qus; buildx's rule: a letter, then letters, digits, . - _)"
      },
      driver: {
        type: "string",
        value: "NAME",
        help: "buildx driver: docker (default, the engine's BuildKit) or docker-container"
      },
      "driver-opt": {
        type: "string",
        value: "K=V",
        multiple: !0,
        help: "buildx driver option (repeatable), for a docker-container builder qus creates"
      },
      use: { type: "boolean", help: "make it the current builder once every platform is proven" },
      replace: {
        type: "boolean",
        help: "replace conflicting binfmt entries, and restart an existing builder (never removed)"
      },
      "proof-timeout": {
        type: "string",
        value: "S",
        help: "seconds one proof build may take before it is killed and its platform reported not proven (default 180)"
      },
      image: driverOptions.image,
      privileged: driverOptions.privileged,
      context: driverOptions.context,
      "dry-run": dryRun,
      json,
      junit: { ...junit, help: `${junit.help}; a platform the builder did not build fails there too` }
    },
    needsPlatforms: !0,
    run: async (v) => {
      let { bootstrap: bootstrap2, provenReport: provenReport2, renderBootstrap: renderBootstrap2 } = await Promise.resolve().then(() => (init_src2(), src_exports)), driver = text(v, "driver") ?? "docker";
      if (driver !== "docker" && driver !== "docker-container")
        throw new QusError("QUS_USAGE", `unknown buildx driver ${JSON.stringify(driver)}`, {
          hint: "use --driver docker or --driver docker-container"
        });
      let proofTimeout = text(v, "proof-timeout");
      if (proofTimeout !== void 0 && !/^[1-9][0-9]{0,5}$/.test(proofTimeout))
        throw new QusError("QUS_USAGE", `--proof-timeout ${JSON.stringify(proofTimeout)}: expected whole seconds`, {
          hint: "for example --proof-timeout 300"
        });
      let list = (name) => {
        let value = v[name];
        return Array.isArray(value) ? value : typeof value == "string" ? [value] : [];
      }, report = await bootstrap2({
        platforms: list("platforms"),
        builder: text(v, "name"),
        driver,
        driverOpts: list("driver-opt"),
        use: flag(v, "use"),
        replace: flag(v, "replace"),
        dryRun: flag(v, "dry-run"),
        context: text(v, "context"),
        image: text(v, "image"),
        privileged: flag(v, "privileged") ? !0 : void 0,
        timeouts: proofTimeout === void 0 ? void 0 : { build: Number(proofTimeout) * 1e3 }
      }), exitCode = report.ok ? 0 : report.binfmt.ok ? 1 : exitCodeForReport(report.binfmt);
      return { text: renderBootstrap2(report), json: report, exitCode, junit: provenReport2(report) };
    }
  },
  {
    name: "gitlab",
    summary: "write qus's GitLab CI/CD component (DIR/templates/qus.yml) and/or a file for include: remote, with its integrity",
    usage: "qus gitlab [--out DIR] [--remote FILE] [--json]",
    options: {
      out: {
        type: "string",
        value: "DIR",
        help: "write the component into the project folder DIR, GitLab's layout: DIR/templates/qus.yml"
      },
      remote: {
        type: "string",
        value: "FILE",
        help: "write a standalone file for include: remote to FILE, and its integrity value to FILE.integrity"
      },
      json
    },
    needsPlatforms: !1,
    run: async (v) => {
      let out = text(v, "out"), remote = text(v, "remote");
      if (out === void 0 && remote === void 0)
        throw new QusError("QUS_USAGE", "qus gitlab needs --out DIR, --remote FILE or both", {
          hint: "for example: qus gitlab --out . --remote public/qus.yml"
        });
      for (let [name, value] of [
        ["out", out],
        ["remote", remote]
      ])
        if (value === "")
          throw new QusError("QUS_USAGE", `qus gitlab: --${name} needs a path`, {
            hint: "usage: qus gitlab [--out DIR] [--remote FILE]"
          });
      let { COMPONENT_PATH: COMPONENT_PATH2, integrityOf: integrityOf2, renderComponent: renderComponent2, renderRemote: renderRemote2 } = await Promise.resolve().then(() => (init_src3(), src_exports2)), write = (file, content) => {
        try {
          mkdirSync3(dirname2(file), { recursive: !0 }), writeFileSync5(file, content);
        } catch (error) {
          throw new QusError("QUS_PERSIST_FAILED", `cannot write ${file}: ${error.message}`, {
            hint: "choose a folder you can write to",
            cause: error
          });
        }
      }, lines = [], result = {};
      if (out !== void 0) {
        let file = join10(out, COMPONENT_PATH2);
        write(file, renderComponent2()), result.component = file, lines.push(`wrote ${file}`);
      }
      if (remote !== void 0) {
        let content = renderRemote2(), integrity = integrityOf2(content);
        write(remote, content), write(`${remote}.integrity`, `${integrity}
`), Object.assign(result, { remote, integrity }), lines.push(`wrote ${remote}`, `wrote ${remote}.integrity`, `integrity: ${integrity}`);
      }
      return { text: `${lines.join(`
`)}
`, json: result };
    }
  }
];

// ../cli/src/help.ts
function mainHelp(commands, version) {
  let width = Math.max(...commands.map((command) => command.name.length));
  return [
    `qus ${version}: QEMU user-mode emulation in binfmt_misc, set up and proven`,
    "",
    "Usage: qus <command> [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `qus <command> --help` for its options.",
    "Exit codes: 0 all platforms ok, 1 some not ok, 2 bad input, 3 the environment cannot do it.",
    ""
  ].join(`
`);
}
function commandHelp(command) {
  let names = Object.entries(command.options).map(([name, spec]) => `--${name}${spec.value ? ` ${spec.value}` : ""}`), width = Math.max(...names.map((name) => name.length), 6), lines = Object.values(command.options).map((spec, i) => `  ${(names[i] ?? "").padEnd(width)}  ${spec.help}`);
  return [
    `Usage: ${command.usage}`,
    "",
    command.summary,
    "",
    "Options:",
    ...lines,
    `  ${"--help".padEnd(width)}  show this help`,
    ""
  ].join(`
`);
}

// ../cli/src/main.ts
var VERSION = "0.1.0";
function installedAt() {
  return fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
}
var processIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
async function main(argv, io = processIo) {
  let [first, ...others] = argv, [name, rest] = first === "image" && others[0] && !others[0].startsWith("-") ? [`image ${others[0]}`, others.slice(1)] : [first, others];
  if (name === void 0 || name === "--help" || name === "-h" || name === "help")
    return io.stdout.write(mainHelp(COMMANDS, VERSION)), name === void 0 ? EXIT.usage : EXIT.ok;
  if (name === "--version" || name === "-v")
    return io.stdout.write(`${VERSION} (${installedAt()})
`), EXIT.ok;
  try {
    let command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command)
      throw new QusError("QUS_USAGE", `unknown command ${JSON.stringify(name)}`, {
        hint: `use one of: ${COMMANDS.map((c) => c.name).join(", ")} (qus --help)`
      });
    let values = parseCommandArgs(command, rest);
    if (values.help === !0)
      return io.stdout.write(commandHelp(command)), EXIT.ok;
    let output = await command.run(values), junitFile = typeof values.junit == "string" ? values.junit : void 0, junitReport = "report" in output ? output.report : output.junit;
    return junitFile !== void 0 && junitReport !== void 0 && writeJunit(junitFile, junitReport), "report" in output ? (io.stdout.write(render(output.report, values, io)), exitCodeForReport(output.report)) : (io.stdout.write(values.json === !0 ? `${JSON.stringify(output.json, null, 2)}
` : output.text), output.exitCode ?? EXIT.ok);
  } catch (error) {
    return io.stderr.write(describeError(error)), exitCodeForError(error);
  }
}
function writeJunit(file, report) {
  try {
    writeFileSync6(file, renderJunit(report));
  } catch (error) {
    throw new QusError("QUS_PERSIST_FAILED", `cannot write the JUnit file ${file}: ${error.message}`, {
      hint: "give --junit a path in a folder that exists and is writable",
      cause: error
    });
  }
}
function parseCommandArgs(command, args) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: !0,
      allowPositionals: !1,
      tokens: !0
    });
  } catch (error) {
    throw new QusError("QUS_USAGE", `qus ${command.name}: ${error.message}`, {
      hint: `usage: ${command.usage}`,
      cause: error
    });
  }
  rejectRepeats(command, parsed.tokens ?? []);
  let values = { ...parsed.values };
  if (Array.isArray(values.platforms) && (values.platforms = values.platforms.join(",")), values.help === !0) return values;
  if (command.needsPlatforms && !values.platforms)
    throw new QusError("QUS_USAGE", `qus ${command.name} needs --platforms`, { hint: `usage: ${command.usage}` });
  if (values.junit === "")
    throw new QusError("QUS_USAGE", `qus ${command.name}: --junit needs a file name`, {
      hint: `usage: ${command.usage}`
    });
  if (values.json === !0 && values.markdown === !0)
    throw new QusError("QUS_USAGE", "--json and --markdown exclude each other", { hint: "choose one output format" });
  return values;
}
function rejectRepeats(command, tokens) {
  let seen = /* @__PURE__ */ new Set();
  for (let token of tokens) {
    if (token.kind !== "option" || token.name === void 0) continue;
    let spec = command.options[token.name];
    if (seen.has(token.name) && !spec?.multiple)
      throw new QusError("QUS_USAGE", `qus ${command.name}: --${token.name} was given more than once`, {
        hint: `give --${token.name} once (usage: ${command.usage})`
      });
    seen.add(token.name);
  }
}
function render(report, values, io) {
  if (values.json === !0) return renderJson(report);
  let files = (report.files ?? []).map(
    (file) => report.dryRun ? `# ${file.path}
${file.content}` : `wrote ${file.path}
`
  );
  return (values.markdown === !0 ? renderMarkdown(report) : renderTable(report, { color: shouldColor(io.stdout, io.env) })) + files.join("");
}
function describeError(error) {
  return isQusError(error) ? `qus: error ${error.code}: ${error.message}
${error.hint ? `hint: ${error.hint}
` : ""}` : `qus: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}
`;
}
var installSignalHandlers = installInterruptHandlers;

// src/cli.ts
installSignalHandlers();
process.exitCode = await main(process.argv.slice(2));
