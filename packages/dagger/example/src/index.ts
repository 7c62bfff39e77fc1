/**
 * An example pipeline: build and run a program for arm64 and riscv64, with qus proving first that the engine runs
 * both platforms (and saying why not when it does not).
 */
import { dag, func, object } from "@dagger.io/dagger";

const PLATFORMS = ["linux/arm64", "linux/riscv64"];

@object()
export class Example {
  /** Runs `uname -m` in an arm64 and a riscv64 container, once qus proved both run on this engine. */
  @func()
  async machines(): Promise<string> {
    // One unprivileged check of every platform first: a clear report instead of a crash deep in a build.
    await dag.qus().verify({ platforms: PLATFORMS });
    const lines = await Promise.all(
      PLATFORMS.map(async (platform) => {
        const container = dag.container({ platform: platform as never }).from("alpine:3.20");
        const machine = await dag.qus().withEmulation(container).withExec(["uname", "-m"]).stdout();
        return `${platform}: ${machine.trim()}`;
      }),
    );
    return lines.join("\n");
  }

  /** Registers QEMU on the engine's host when needed (privileged, global to that machine), then proves it. */
  @func({ cache: "never" })
  async setup(): Promise<string> {
    return dag.qus().ensure({ platforms: PLATFORMS });
  }
}
