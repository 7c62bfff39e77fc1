/**
 * Tests of the qus module on a real Dagger engine: `dagger check` in this folder runs them all (the module's own
 * unit tests, in ../src, run without an engine). Each check fails with qus's report when its platforms do not run.
 */
import { check, dag, func, object } from "@dagger.io/dagger";

const PLATFORMS = ["linux/arm64", "linux/riscv64"];

@object()
export class Tests {
  /** arm64 and riscv64 containers run on this engine (through the host's QEMU or the engine's own). */
  @func({ cache: "never" })
  @check()
  async platformsRun(): Promise<void> {
    await dag.qus().verify({ platforms: PLATFORMS });
  }

  /** The engine's own platform needs no emulation and is reported native. */
  @func({ cache: "never" })
  @check()
  async nativePlatformIsNative(): Promise<void> {
    const platform = String(await dag.defaultPlatform());
    const report = JSON.parse(await dag.qus().verify({ platforms: [platform], format: "json" }));
    if (report.platforms[0]?.through !== "native")
      throw new Error(`expected ${platform} native, got ${JSON.stringify(report)}`);
  }

  /** A platform qus does not know is refused with its name, before any container runs. */
  @func({ cache: "never" })
  @check()
  async unknownPlatformIsRefused(): Promise<void> {
    const outcome = await dag
      .qus()
      .verify({ platforms: ["linux/vax"] })
      .then(() => "ran")
      .catch((error: unknown) => String(error));
    if (!outcome.includes("vax")) throw new Error(`expected an error naming linux/vax, got: ${outcome}`);
  }

  /** withEmulation hands back a container that then runs: uname -m inside says the platform's machine. */
  @func({ cache: "never" })
  @check()
  async withEmulationRuns(): Promise<void> {
    const container = dag.container({ platform: "linux/arm64" as never }).from("busybox:1.36");
    const machine = await dag
      .qus()
      .withEmulation(container)
      .withEnvVariable("QUS_RUN", String(Date.now()))
      .withExec(["uname", "-m"])
      .stdout();
    if (machine.trim() !== "aarch64") throw new Error(`uname -m said ${machine.trim()}, not aarch64`);
  }

  /**
   * ensure registers in the engine's host kernel (global to that machine): not a check, run it on purpose with
   * `dagger call ensure-then-verify`.
   */
  @func({ cache: "never" })
  async ensureThenVerify(): Promise<string> {
    const ensured = await dag.qus().ensure({ platforms: PLATFORMS });
    return `${ensured}\n${await dag.qus().status({ platforms: PLATFORMS })}`;
  }
}
