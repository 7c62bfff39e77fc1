import type { VmArch } from "./arches.js";

/** The guest port dockerd listens on; QEMU forwards a loopback port of the host to it. */
export const GUEST_DOCKER_PORT = 2375;
/** The name of the virtio console port the guest powers off through. */
export const CONTROL_PORT_NAME = "qus.ctl";

/** The parts of one `qemu-system-*` command line. */
export interface QemuCommandInput {
  readonly arch: VmArch;
  readonly kernel: string;
  readonly initrd: string;
  readonly disk: string;
  readonly diskFormat: "qcow2" | "raw";
  /** Writes go to a temporary overlay, so the disk is left as it was. */
  readonly snapshot?: boolean;
  readonly memoryMb: number;
  readonly cpus: number;
  /** Hardware virtualization: only when the guest's architecture is the host's and /dev/kvm is usable. */
  readonly kvm: boolean;
  /**
   * `boot`: a background VM with the guest's dockerd on `dockerPort` of 127.0.0.1, a control port on a unix socket,
   * its console in a file; `run`: one command, console on standard output, no network.
   */
  readonly mode:
    | {
        readonly kind: "boot";
        readonly dockerPort: number;
        readonly controlSocket: string;
        readonly consoleLog: string;
        readonly pidFile: string;
      }
    | { readonly kind: "run"; readonly argv: readonly string[] };
}

/** The command line, as an argv array: the emulator first. */
export function qemuCommand(input: QemuCommandInput): string[] {
  const { arch, mode } = input;
  const append = [
    `console=${arch.console}`,
    "qus.root=/dev/vda",
    `qus.mode=${mode.kind}`,
    // Debian's kernels turn AppArmor on, and dockerd then wants profiles the minimal root does not have.
    "apparmor=0",
    "panic=1",
    ...(mode.kind === "run" ? ["quiet", "loglevel=0", `qus.argv=${mode.argv.map(encodeWord).join(",")}`] : []),
  ].join(" ");
  const args = [
    ...["-M", arch.machine],
    ...(input.kvm ? ["-accel", "kvm", "-cpu", "host"] : ["-accel", "tcg", "-cpu", arch.cpu]),
    ...["-smp", String(input.cpus), "-m", String(input.memoryMb)],
    ...["-display", "none", "-monitor", "none", "-no-reboot"],
    ...["-kernel", input.kernel, "-initrd", input.initrd, "-append", append],
    ...[
      "-drive",
      `if=none,id=disk0,format=${input.diskFormat},file=${optionValue(input.disk)}${input.snapshot ? ",snapshot=on" : ""}`,
    ],
    ...["-device", "virtio-blk-pci,drive=disk0"],
  ];
  if (mode.kind === "run") return [arch.qemuSystem, ...args, "-nic", "none", "-serial", "stdio"];
  return [
    arch.qemuSystem,
    ...args,
    ...["-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${mode.dockerPort}-:${GUEST_DOCKER_PORT}`],
    // romfile= : no PXE option ROM, which Debian ships in a package of its own and a -kernel boot never uses.
    ...["-device", "virtio-net-pci,netdev=net0,romfile="],
    ...["-device", "virtio-serial-pci"],
    ...["-chardev", `socket,id=control,path=${optionValue(mode.controlSocket)},server=on,wait=off`],
    ...["-device", `virtserialport,chardev=control,name=${CONTROL_PORT_NAME}`],
    ...["-chardev", `file,id=console,path=${optionValue(mode.consoleLog)}`, "-serial", "chardev:console"],
    ...["-pidfile", mode.pidFile, "-daemonize"],
  ];
}

/** One word of `qus.argv`: never empty, so the guest's shell cannot drop it when it splits the list. */
export function encodeWord(word: string): string {
  return `w${Buffer.from(word).toString("base64")}`;
}

/** A value inside a QEMU option list, where a comma separates options unless doubled. */
function optionValue(value: string): string {
  return value.replaceAll(",", ",,");
}
