import { removeContext } from "./docker-context.js";
import { clearState, dropRegistryEntry, isVmProcess, listStates, registryDir, type VmState } from "./state.js";

/** One VM the registry knew of. */
export interface VmStatus {
  readonly state: VmState;
  /** `running`, or `died`: QEMU ended without `qus vm stop` (its traces are removed as it is reported). */
  readonly status: "running" | "died";
}

/**
 * The VMs `qus vm start` left running. A VM whose QEMU has gone is reported once as `died` and forgotten: its docker
 * context and run files are removed (its port went with QEMU).
 */
export async function vmStatus(registry = registryDir()): Promise<VmStatus[]> {
  const result: VmStatus[] = [];
  const listed = listStates(registry).sort((a, b) => a.state.name.localeCompare(b.state.name));
  for (const entry of listed) {
    const { state, confirmed } = entry;
    if (confirmed && isVmProcess(state.pid, state.dir)) {
      result.push({ state, status: "running" });
      continue;
    }
    if (state.context) await removeContext(state.context, state.dockerPort);
    // An entry its folder does not confirm names paths qus cannot trust: only the entry goes.
    if (confirmed) clearState(state, registry);
    else dropRegistryEntry(entry);
    result.push({ state, status: "died" });
  }
  return result;
}
