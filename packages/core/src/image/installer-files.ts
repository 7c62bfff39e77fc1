import { DEFAULT_FLAGS } from "../binfmt/flags.js";
import { renderRegister } from "../binfmt/register.js";
import { tonistiigiArch } from "../drivers/container/tonistiigi.js";
import { wantedRegistration } from "../plan.js";
import { buildExitProgram, buildProbe } from "../probe/index.js";
import { canonicalPlatform, entryName, interpreterBase, type QemuCpu, TARGETS, type Target } from "../targets.js";
import {
  INSTALLER_COMPAT,
  INSTALLER_MARKER_STATUS,
  INSTALLER_NATIVE,
  INSTALLER_PATH,
  INSTALLER_PROBES,
  INSTALLER_ROOT,
  INSTALLER_SCRIPT,
  INSTALLER_TABLE,
} from "./installer-script.js";

/** One file of the installer image, by its path in the image. */
export interface InstallerFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode: number;
}

/**
 * One line per target for `qus-binfmt`: `cpu entry arch platform names emulator register`, space separated. `names`
 * (comma separated) is every name a user may write for it; `emulator` is QEMU's emulator of it (`qemu-i386` for i486),
 * which plan()'s ownership rule asks of an interpreter; `register` is what goes to binfmt_misc's `register` (F by
 * default: the kernel opens the emulator at registration, so it works in every container).
 */
export function renderInstallerTable(
  targets: readonly Target[],
  interpreterOf: (target: Target) => string,
  flags: string = DEFAULT_FLAGS,
): string {
  return targets
    .map((target) => {
      const fields = [target.cpu, entryName(target), tonistiigiArch(target), canonicalPlatform(target)];
      const register = renderRegister(wantedRegistration(target, interpreterOf(target), flags));
      return `${[...fields, namesOf(target), interpreterBase(target), register].join(" ")}\n`;
    })
    .join("");
}

/** The image's own target as a line `platform names`: asked for, it is accepted and never registered. */
function nativeLine(cpu: QemuCpu): string {
  const target = TARGETS.find((candidate) => candidate.cpu === cpu);
  if (!target) return `linux/${cpu} ${cpu}\n`;
  return `${canonicalPlatform(target)} ${namesOf(target)}\n`;
}

/** Every name a user may write for a target, comma separated. */
function namesOf(target: Target): string {
  const entry = entryName(target);
  return [...new Set([target.cpu, entry, tonistiigiArch(target), ...target.platforms, ...target.aliases])].join(",");
}

/**
 * The files `qus-binfmt` needs, for an image whose own architecture is `engineCpu` (never in its table: an entry
 * for it would send the host's own programs through QEMU) and which holds the emulators named in `interpreters`
 * (`qemu-<cpu>-static` in /usr/bin; variants such as i486 use their base cpu's).
 */
export function installerFiles(engineCpu: QemuCpu, interpreters: readonly string[]): InstallerFile[] {
  const present = new Set(interpreters);
  const emulator = (target: Target) => `${interpreterBase(target)}-static`;
  const targets = TARGETS.filter((target) => target.cpu !== engineCpu && present.has(emulator(target)));
  return [
    { path: INSTALLER_PATH, content: INSTALLER_SCRIPT, mode: 0o755 },
    { path: INSTALLER_NATIVE, content: nativeLine(engineCpu), mode: 0o644 },
    {
      path: INSTALLER_COMPAT,
      content: targets
        .filter((target) => target.compatOf?.some((compat) => compat.host === engineCpu))
        .map((target) => `${target.cpu}\n`)
        .join(""),
      mode: 0o644,
    },
    // The probes' chroot /bin/sh: where a probe the kernel cannot run falls back to (ENOEXEC), with its own status.
    { path: `${INSTALLER_ROOT}/bin/sh`, content: buildExitProgram(engineCpu, INSTALLER_MARKER_STATUS), mode: 0o755 },
    {
      path: INSTALLER_TABLE,
      content: renderInstallerTable(targets, (target) => `/usr/bin/${emulator(target)}`),
      mode: 0o644,
    },
    ...targets.map((target) => ({
      path: `${INSTALLER_PROBES}/${target.cpu}`,
      content: buildProbe(target.cpu),
      mode: 0o755,
    })),
  ];
}
