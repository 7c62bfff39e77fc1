import { nativeCandidates } from "../../architectures.js";
import { type Registration, renderRegister } from "../../binfmt/register.js";
import { errnoCode, QusError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { formatCommand } from "../../shell-quote.js";
import type { QemuCpu } from "../../targets.js";
import { registeredMeanwhile } from "../native-policy.js";
import { readEntry, type WriteControl } from "./binfmt-fs.js";
import { matchesHost } from "./host.js";
import { detectNative } from "./native.js";

/**
 * Registers one entry. A concurrent run that registered the same entry first (EEXIST) counts as success; one that
 * removed it again before it could be read is retried.
 */
export async function register(
  registration: Registration,
  cpu: QemuCpu,
  hostHeaders: readonly Uint8Array[],
  seams: { exec: Exec; host: QemuCpu | undefined; write: WriteControl },
  dir: string,
): Promise<void> {
  await refuseHostRegistration(registration, cpu, hostHeaders, seams);
  for (let attempt = 0; ; attempt++) {
    try {
      await seams.write(`${dir}/register`, renderRegister(registration));
      return;
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      const meanwhile = registeredMeanwhile(readEntry(registration.name, dir), registration);
      if (meanwhile === "gone" && attempt < 3) continue;
      if (meanwhile === "same") return;
      throw new QusError(
        "QUS_KERNEL_WRITE_FAILED",
        meanwhile === "different"
          ? `${registration.name} was registered meanwhile by another program, differently`
          : `${registration.name} kept changing while qus registered it: another program is registering and removing it`,
        {
          hint: `run ${formatCommand(["qus", "ensure", "--replace", "--platforms", cpu])} to take it over`,
          cause: error,
        },
      );
    }
  }
}

/**
 * Checked again at the last moment, whatever the plan or the cache said: an entry matching the host's own programs,
 * or one for a compat mode of the host (i386 on x86_64) that a run right now does not prove foreign ("exec format
 * error" with nothing claiming it), would route the host's own programs through QEMU.
 */
async function refuseHostRegistration(
  registration: Registration,
  cpu: QemuCpu,
  hostHeaders: readonly Uint8Array[],
  seams: { exec: Exec; host: QemuCpu | undefined },
): Promise<void> {
  const matches = matchesHost(registration, hostHeaders);
  if (!matches && !nativeCandidates(seams.host).includes(cpu)) return;
  const finding = matches
    ? undefined
    : (await detectNative([cpu], [], { ...seams, root: true, cache: NO_CACHE })).get(cpu);
  if (finding?.verdict === "foreign") return;
  throw new QusError(
    "QUS_HOST_MATCH",
    matches
      ? `refusing to register ${registration.name}: its magic matches this machine's own programs`
      : `refusing to register ${registration.name}: this ${seams.host} machine ${finding?.verdict === "native" ? "runs" : "may run"} ${cpu} programs itself`,
    { hint: "this architecture runs natively here and needs no emulation" },
  );
}

// The last-moment guard decides from a run of its own, never from what an earlier run remembered.
const NO_CACHE = { get: () => undefined, set: () => {} };
