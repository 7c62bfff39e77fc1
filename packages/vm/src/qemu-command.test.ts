import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { vmArch } from "./arches.js";
import { INIT_SCRIPT } from "./init-script.js";
import { CONTROL_PORT_NAME, GUEST_DOCKER_PORT, type QemuCommandInput, qemuCommand } from "./qemu-command.js";

const arm64 = vmArch("arm64");
const armhf = vmArch("armhf");

const BASE = {
  arch: arm64,
  kernel: "/vms/a/vmlinuz",
  initrd: "/vms/a/initrd.img",
  disk: "/vms/a/disk.qcow2",
  diskFormat: "qcow2",
  memoryMb: 2048,
  cpus: 2,
  kvm: false,
} as const;

const BOOT = {
  kind: "boot",
  dockerPort: 41234,
  controlSocket: "/vms/a/run/control.sock",
  consoleLog: "/vms/a/run/console.log",
  pidFile: "/vms/a/run/qemu.pid",
} as const;

const runInput = (argv: readonly string[], extra: Partial<QemuCommandInput> = {}): QemuCommandInput => ({
  ...BASE,
  ...extra,
  mode: { kind: "run", argv },
});
type BootMode = { dockerPort: number; controlSocket: string; consoleLog: string; pidFile: string };
const bootInput = (extra: Partial<QemuCommandInput> = {}, mode: Partial<BootMode> = {}): QemuCommandInput => ({
  ...BASE,
  ...extra,
  mode: { ...BOOT, ...mode },
});

/** The value after `option`, which must occur once. */
function argAfter(argv: readonly string[], option: string): string {
  const at = argv.indexOf(option);
  expect(at, option).toBeGreaterThan(0);
  expect(argv.indexOf(option, at + 1), `${option} once`).toBe(-1);
  const value = argv[at + 1];
  expect(value).toBeTypeOf("string");
  return value as string;
}

/** Every value that follows `option`. */
function valuesOf(argv: readonly string[], option: string): string[] {
  return argv.flatMap((arg, index) => (arg === option ? [argv[index + 1] as string] : []));
}

/** A QEMU option list (`a=b,c=d`) as QEMU reads it: a doubled comma is a comma of the value. */
function optionList(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ",") {
      if (text[i + 1] === ",") {
        current += ",";
        i++;
        continue;
      }
      parts.push(current);
      current = "";
    } else current += text[i];
  }
  parts.push(current);
  return parts;
}

function optionMap(text: string): Map<string, string> {
  return new Map(
    optionList(text).map((part) => {
      const eq = part.indexOf("=");
      return eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    }),
  );
}

const appendWords = (argv: readonly string[]) => argAfter(argv, "-append").split(" ");

/** The words of `qus.argv=` decoded as the host wrote them. */
function decodedArgv(argv: readonly string[]): string[] {
  const words = appendWords(argv).filter((word) => word.startsWith("qus.argv="));
  expect(words).toHaveLength(1);
  const value = (words[0] as string).slice("qus.argv=".length);
  expect(value).toMatch(/^(w[A-Za-z0-9+/=]*)(,w[A-Za-z0-9+/=]*)*$/);
  return value.split(",").map((word) => Buffer.from(word.slice(1), "base64").toString("utf8"));
}

function expectAllStrings(argv: readonly unknown[]): void {
  for (const [index, arg] of argv.entries()) {
    expect(typeof arg, `argv[${index}]`).toBe("string");
    expect(String(arg), `argv[${index}]`).not.toMatch(/undefined|NaN|\[object/);
  }
}

describe("qemuCommand: run mode", () => {
  it("starts with the emulator and boots the kernel with qus's initrd, console on stdio, no network", () => {
    const argv = qemuCommand(runInput(["uname", "-m"]));
    expectAllStrings(argv);
    expect(argv[0]).toBe("qemu-system-aarch64");
    expect(argAfter(argv, "-M")).toBe("virt");
    expect(argAfter(argv, "-accel")).toBe("tcg");
    expect(argAfter(argv, "-cpu")).toBe("cortex-a57");
    expect(argAfter(argv, "-kernel")).toBe("/vms/a/vmlinuz");
    expect(argAfter(argv, "-initrd")).toBe("/vms/a/initrd.img");
    expect(argAfter(argv, "-m")).toBe("2048");
    expect(argAfter(argv, "-smp")).toBe("2");
    expect(argAfter(argv, "-serial")).toBe("stdio");
    expect(argAfter(argv, "-nic")).toBe("none");
    expect(argv).toContain("-no-reboot");
    for (const absent of ["-daemonize", "-netdev", "-pidfile", "-chardev"]) expect(argv).not.toContain(absent);
  });

  it("-append carries the console, qus.mode=run, the root and apparmor=0, quiet", () => {
    const words = appendWords(qemuCommand(runInput(["true"])));
    for (const word of ["console=ttyAMA0", "qus.mode=run", "qus.root=/dev/vda", "apparmor=0", "panic=1", "quiet"]) {
      expect(words).toContain(word);
    }
    expect(words.filter((word) => word.startsWith("qus.mode="))).toEqual(["qus.mode=run"]);
  });

  it("base64-encodes each word, so spaces, quotes, commas and non-ASCII survive the kernel command line", () => {
    const words = [
      "/bin/sh",
      "-c",
      `echo "it's here", 'and "there"'; printf '%s\\n' $HOME \`id\``,
      "",
      "a,b,,c",
      "two  spaces\tand a tab\nand a newline",
      "héllo wörld ✓ 日本語 🚀",
      "=",
      "-",
    ];
    const argv = qemuCommand(runInput(words));
    expectAllStrings(argv);
    expect(decodedArgv(argv)).toEqual(words);
  });

  it("one word gives one encoded word; no word gives an empty qus.argv", () => {
    expect(decodedArgv(qemuCommand(runInput(["true"])))).toEqual(["true"]);
    const words = appendWords(qemuCommand(runInput([])));
    expect(words).toContain("qus.argv=");
  });

  it("snapshot=on only when asked, after the file", () => {
    const drive = (input: QemuCommandInput) => optionMap(argAfter(qemuCommand(input), "-drive"));
    expect(drive(runInput(["true"], { snapshot: true })).get("snapshot")).toBe("on");
    expect(drive(runInput(["true"], { snapshot: false })).has("snapshot")).toBe(false);
    expect(drive(runInput(["true"])).has("snapshot")).toBe(false);
    const withSnapshot = drive(runInput(["true"], { snapshot: true, diskFormat: "raw" }));
    expect(withSnapshot.get("file")).toBe("/vms/a/disk.qcow2");
    expect(withSnapshot.get("format")).toBe("raw");
    expect(withSnapshot.get("if")).toBe("none");
    expect(withSnapshot.get("id")).toBe("disk0");
    expect(valuesOf(qemuCommand(runInput(["true"])), "-device")).toContain("virtio-blk-pci,drive=disk0");
  });

  it("armhf runs qemu-system-arm with its own CPU", () => {
    const argv = qemuCommand(runInput(["true"], { arch: armhf }));
    expect(argv[0]).toBe("qemu-system-arm");
    expect(argAfter(argv, "-cpu")).toBe("cortex-a15");
    expect(appendWords(argv)).toContain("console=ttyAMA0");
  });
});

describe("qemuCommand: boot mode", () => {
  it("forwards only 127.0.0.1:PORT of the host to the guest's dockerd", () => {
    const argv = qemuCommand(bootInput());
    expectAllStrings(argv);
    expect(argv[0]).toBe("qemu-system-aarch64");
    const netdev = argAfter(argv, "-netdev");
    const options = optionList(netdev);
    expect(options[0]).toBe("user");
    const forwards = options.filter((option) => option.startsWith("hostfwd="));
    expect(forwards).toEqual([`hostfwd=tcp:127.0.0.1:41234-:${GUEST_DOCKER_PORT}`]);
    expect(GUEST_DOCKER_PORT).toBe(2375);
    expect(argv.join(" ")).not.toContain("0.0.0.0");
  });

  it("runs in the background with a pid file, console in a file, a control port, qus.mode=boot", () => {
    const argv = qemuCommand(bootInput());
    expect(argv.at(-1)).toBe("-daemonize");
    expect(argAfter(argv, "-pidfile")).toBe("/vms/a/run/qemu.pid");
    expect(argAfter(argv, "-serial")).toBe("chardev:console");
    const chardevs = valuesOf(argv, "-chardev").map(optionMap);
    const control = chardevs.find((chardev) => chardev.get("id") === "control");
    expect(control?.has("socket")).toBe(true);
    expect(control?.get("path")).toBe("/vms/a/run/control.sock");
    expect(control?.get("server")).toBe("on");
    expect(control?.get("wait")).toBe("off");
    const console = chardevs.find((chardev) => chardev.get("id") === "console");
    expect(console?.has("file")).toBe(true);
    expect(console?.get("path")).toBe("/vms/a/run/console.log");
    expect(valuesOf(argv, "-device")).toContain(`virtserialport,chardev=control,name=${CONTROL_PORT_NAME}`);
    const words = appendWords(argv);
    for (const word of ["console=ttyAMA0", "qus.mode=boot", "apparmor=0", "qus.root=/dev/vda"]) {
      expect(words).toContain(word);
    }
    expect(words.some((word) => word.startsWith("qus.argv="))).toBe(false);
    expect(words).not.toContain("quiet");
    expect(argv).not.toContain("-nic");
  });

  it("doubles commas in paths inside -drive and -chardev values, so QEMU reads them whole", () => {
    const argv = qemuCommand(
      bootInput(
        { disk: "/vms/a,b/disk,1.qcow2", snapshot: true },
        { controlSocket: "/vms/a,b/run/control,.sock", consoleLog: "/vms/a,b/run/console.log,", pidFile: "/p,id" },
      ),
    );
    const drive = argAfter(argv, "-drive");
    expect(drive).toContain("file=/vms/a,,b/disk,,1.qcow2");
    const driveOptions = optionMap(drive);
    expect(driveOptions.get("file")).toBe("/vms/a,b/disk,1.qcow2");
    expect(driveOptions.get("snapshot")).toBe("on");
    const chardevs = valuesOf(argv, "-chardev").map(optionMap);
    expect(chardevs.find((chardev) => chardev.get("id") === "control")?.get("path")).toBe("/vms/a,b/run/control,.sock");
    expect(chardevs.find((chardev) => chardev.get("id") === "console")?.get("path")).toBe("/vms/a,b/run/console.log,");
    // -pidfile is a plain file name, not an option list: it stays as it is.
    expect(argAfter(argv, "-pidfile")).toBe("/p,id");
  });

  it("with KVM: -accel kvm -cpu host, never TCG's CPU model", () => {
    for (const input of [bootInput({ kvm: true }), runInput(["true"], { kvm: true })]) {
      const argv = qemuCommand(input);
      expect(argAfter(argv, "-accel")).toBe("kvm");
      expect(argAfter(argv, "-cpu")).toBe("host");
      expect(argv).not.toContain("tcg");
      expect(argv).not.toContain("cortex-a57");
    }
  });

  it("snapshot=on in boot mode too when asked", () => {
    expect(optionMap(argAfter(qemuCommand(bootInput({ snapshot: true })), "-drive")).get("snapshot")).toBe("on");
    expect(optionMap(argAfter(qemuCommand(bootInput()), "-drive")).has("snapshot")).toBe(false);
  });
});

// The other end of qus.argv: the loop of the guest's /init (INIT_SCRIPT) that turns it back into "$@", run here
// with the host's POSIX sh and base64 (the guest's busybox ash splits fields the same way).
function guestArgv(words: readonly string[]): string[] {
  const start = INIT_SCRIPT.indexOf("  set --\n");
  const end = INIT_SCRIPT.indexOf("  unset IFS\n");
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const loop = INIT_SCRIPT.slice(start, end + "  unset IFS\n".length);
  const append = appendWords(qemuCommand(runInput(words)));
  const argv = (append.find((word) => word.startsWith("qus.argv=")) as string).slice("qus.argv=".length);
  const result = spawnSync("sh", ["-c", `${loop}printf '%d\\n' "$#"\n[ "$#" -eq 0 ] || printf '%s\\0' "$@"\n`], {
    env: { PATH: process.env.PATH, argv },
    encoding: "utf8",
  });
  expect(result.status, result.stderr).toBe(0);
  const newline = result.stdout.indexOf("\n");
  const count = Number(result.stdout.slice(0, newline));
  const decoded = result.stdout
    .slice(newline + 1)
    .split("\0")
    .slice(0, -1);
  expect(decoded).toHaveLength(count);
  return decoded;
}

describe("qus.argv through the guest's /init", () => {
  it.each<[string, string[]]>([
    ["plain words", ["uname", "-m"]],
    ["spaces, quotes, commas", ["/bin/sh", "-c", `echo "a, b" 'c'`, "x,y"]],
    ["non-ASCII", ["echo", "héllo ✓ 日本語"]],
    ["an empty word in the middle", ["printf", "[%s]", "", "x"]],
    ["a newline inside a word", ["printf", "%s", "a\nb"]],
  ])("%s: the command gets the same words", (_, words) => {
    expect(guestArgv(words)).toEqual(words);
  });

  // Field splitting drops a trailing empty field and $(...) strips trailing newlines: each word carries a "w"
  // and its decoding an "x", so neither can change the command.
  it("an empty last word reaches the command", () => {
    const words = ["printf", "[%s]", "x", ""];
    expect(guestArgv(words)).toEqual(words);
  });

  it("a word ending in a newline keeps it", () => {
    const words = ["printf", "%s", "line\n"];
    expect(guestArgv(words)).toEqual(words);
  });
});
