import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  clearState,
  dropRegistryEntry,
  isVmProcess,
  listStates,
  readState,
  registryDir,
  runFiles,
  type VmState,
  writeState,
} from "./state.js";

const scratch = mkdtempSync(join(tmpdir(), "qus-vm-state-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
/** A fresh VM folder (with its run folder, which start makes before it writes the state) and registry. */
function fresh(): { registry: string; dir: (name: string) => string } {
  const base = join(scratch, `case-${++count}`);
  mkdirSync(base);
  return {
    registry: join(base, "registry"),
    dir: (name: string) => {
      const dir = join(base, name);
      mkdirSync(runFiles(dir).run, { recursive: true });
      return dir;
    },
  };
}

const stateOf = (dir: string, name = "qus-arm64", extra: Partial<VmState> = {}): VmState => ({
  name,
  dir,
  arch: "arm64",
  pid: 4_000_000,
  dockerPort: 40123,
  context: name,
  consoleLog: runFiles(dir).consoleLog,
  controlSocket: runFiles(dir).controlSocket,
  startedAt: "2024-05-01T12:00:00.000Z",
  ...extra,
});

describe("registryDir", () => {
  it("$QUS_VM_STATE_DIR first", () => {
    expect(registryDir({ QUS_VM_STATE_DIR: "/srv/qus-state", XDG_STATE_HOME: "/xdg" })).toBe("/srv/qus-state");
  });

  it("then $XDG_STATE_HOME/qus/vm", () => {
    expect(registryDir({ XDG_STATE_HOME: "/xdg/state" })).toBe("/xdg/state/qus/vm");
    expect(registryDir({ QUS_VM_STATE_DIR: "", XDG_STATE_HOME: "/xdg/state" })).toBe("/xdg/state/qus/vm");
  });

  it("else ~/.local/state/qus/vm", () => {
    expect(registryDir({})).toBe(join(homedir(), ".local/state/qus/vm"));
    expect(registryDir({ XDG_STATE_HOME: "" })).toBe(join(homedir(), ".local/state/qus/vm"));
  });
});

describe("runFiles", () => {
  it("all in the VM's run folder", () => {
    const files = runFiles("/vms/a");
    expect(files).toEqual({
      run: "/vms/a/run",
      state: "/vms/a/run/state.json",
      lock: "/vms/a/run/starting.lock",
      pid: "/vms/a/run/qemu.pid",
      consoleLog: "/vms/a/run/console.log",
      controlSocket: "/vms/a/run/control.sock",
    });
  });
});

describe("writeState / readState / listStates / clearState", () => {
  it("round trip: written in the folder and the registry, read back, listed, cleared", () => {
    const { registry, dir } = fresh();
    const a = dir("a");
    const state = stateOf(a);
    writeState(state, registry);
    expect(readState(a)).toEqual(state);
    expect(JSON.parse(readFileSync(join(registry, "qus-arm64.json"), "utf8"))).toEqual(state);
    expect(listStates(registry)).toEqual([{ state, confirmed: true, entry: expect.any(String) }]);

    writeFileSync(runFiles(a).pid, "4000000\n");
    writeFileSync(runFiles(a).consoleLog, "console\n");
    clearState(state, registry);
    expect(readState(a)).toBeUndefined();
    expect(existsSync(runFiles(a).pid)).toBe(false);
    expect(listStates(registry)).toEqual([]);
    // The console log stays, for post-mortems.
    expect(readFileSync(runFiles(a).consoleLog, "utf8")).toBe("console\n");
  });

  it("a VM without Docker: no port, no context", () => {
    const { registry, dir } = fresh();
    const state = stateOf(dir("plain"), "plain", { dockerPort: undefined, context: undefined });
    writeState(state, registry);
    expect(readState(state.dir)).toEqual(state);
    expect(readState(state.dir)?.dockerPort).toBeUndefined();
  });

  it("clearState leaves the registry entry another folder's VM of the same name has taken since", () => {
    const { registry, dir } = fresh();
    const first = stateOf(dir("first"));
    const second = stateOf(dir("second"), "qus-arm64", { pid: 4_000_001, dockerPort: 40124 });
    writeState(first, registry);
    writeState(second, registry);
    expect(listStates(registry)).toEqual([{ state: second, confirmed: true, entry: expect.any(String) }]);
    clearState(first, registry);
    expect(readState(first.dir)).toBeUndefined();
    expect(readState(second.dir)).toEqual(second);
    expect(listStates(registry)).toEqual([{ state: second, confirmed: true, entry: expect.any(String) }]);
    clearState(second, registry);
    expect(listStates(registry)).toEqual([]);
  });

  it("lists every VM of the registry, skipping files that are not states", () => {
    const { registry, dir } = fresh();
    const one = stateOf(dir("one"), "one");
    const two = stateOf(dir("two"), "two");
    writeState(one, registry);
    writeState(two, registry);
    writeFileSync(join(registry, "broken.json"), "{ not json");
    writeFileSync(join(registry, "other.json"), JSON.stringify({ pid: "12", dir: 3 }));
    // A name is a registry file name later: a path in it makes the file no state at all.
    writeFileSync(join(registry, "evil.json"), JSON.stringify({ ...stateOf(dir("evil")), name: "../../etc/passwd" }));
    writeFileSync(join(registry, "notes.txt"), "not a state");
    const listed = listStates(registry).sort((x, y) => x.state.name.localeCompare(y.state.name));
    expect(listed).toEqual([
      { state: one, confirmed: true, entry: expect.any(String) },
      { state: two, confirmed: true, entry: expect.any(String) },
    ]);
  });

  it("a copy of a running VM's folder does not carry its state: the copy reads as not started", () => {
    const { registry, dir } = fresh();
    const original = stateOf(dir("original"));
    writeState(original, registry);
    const copy = dir("copy");
    cpSync(original.dir, copy, { recursive: true });
    expect(readState(copy)).toBeUndefined();
    // Clearing the copy's traces touches neither the original's files nor its registry entry.
    clearState({ dir: copy, name: original.name }, registry);
    expect(readState(original.dir)).toEqual(original);
    expect(listStates(registry)).toEqual([{ state: original, confirmed: true, entry: expect.any(String) }]);
  });

  it("paths in a state file are not trusted: the run files are the folder's own, whatever the file says", () => {
    const { registry, dir } = fresh();
    const a = dir("a");
    const edited = { ...stateOf(a), consoleLog: "/etc/shadow", controlSocket: "/run/docker.sock" };
    writeState(edited, registry);
    expect(readState(a)).toMatchObject({
      consoleLog: runFiles(a).consoleLog,
      controlSocket: runFiles(a).controlSocket,
    });
  });

  it("a registry entry its folder does not confirm is listed unconfirmed, and dropping it touches no folder", () => {
    const { registry, dir } = fresh();
    const a = dir("a");
    const state = stateOf(a);
    writeState(state, registry);
    // The entry is edited to another pid; the folder still says its own.
    writeFileSync(join(registry, `${state.name}.json`), JSON.stringify({ ...state, pid: 4_000_009 }));
    const [listed] = listStates(registry);
    expect(listed).toMatchObject({ state: { ...state, pid: 4_000_009 }, confirmed: false });
    dropRegistryEntry(listed as NonNullable<typeof listed>);
    expect(listStates(registry)).toEqual([]);
    expect(readState(a)).toEqual(state);
  });

  it("a registry that does not exist lists nothing; a folder without state reads as undefined", () => {
    expect(listStates(join(scratch, "no-such-registry"))).toEqual([]);
    expect(readState(join(scratch, "no-such-vm"))).toBeUndefined();
  });

  it("clearState of a VM whose files are gone already does not throw", () => {
    const { registry, dir } = fresh();
    expect(() => clearState(stateOf(dir("gone")), registry)).not.toThrow();
  });
});

describe("isVmProcess", () => {
  it("this test's own process is not a qemu-system of the VM", () => {
    const { dir } = fresh();
    expect(isVmProcess(process.pid, dir("mine"))).toBe(false);
    expect(isVmProcess(process.pid, process.cwd())).toBe(false);
  });

  it("a pid that does not exist is not", () => {
    expect(isVmProcess(2 ** 22 + 12345, "/vms/a")).toBe(false);
  });
});
