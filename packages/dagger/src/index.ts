/**
 * qus for Dagger: proves which platforms a Dagger engine really runs (through its host's binfmt_misc, or its own
 * bundled QEMU), and registers QEMU in the engine's host kernel, verified.
 */
import { type Container, check, dag, func, object } from "@dagger.io/dagger";
import { ensureText, statusText, verifyText, withEmulationOf } from "./operations.js";

@object()
export class Qus {
  /** Platforms the functions work on when none are given. */
  @func()
  platforms: string[];

  /**
   * @param platforms Platforms the functions work on when none are given (linux/arm64, riscv64, armhf, ...).
   */
  constructor(platforms: string[] = ["linux/arm64", "linux/riscv64"]) {
    this.platforms = platforms;
  }

  /**
   * Runs qus's probe of each platform as the only file of an empty container of that platform, without privilege,
   * and says how the engine ran it: through its host's kernel (binfmt_misc), or its own bundled QEMU. Fails when
   * a platform does not run.
   *
   * @param platforms Platforms to prove; the module's platforms by default.
   * @param format table, json or markdown.
   * @param requireHost Count a platform that runs only through the engine's bundled QEMU as failed.
   */
  @func({ cache: "never" })
  async verify(platforms?: string[], format = "table", requireHost = false): Promise<string> {
    return verifyText({ client: dag }, { platforms: platforms ?? this.platforms, format, requireHost });
  }

  /** Check: the module's platforms run on this engine. */
  @func({ cache: "never" })
  @check()
  async platformsRun(): Promise<void> {
    await verifyText({ client: dag }, { platforms: this.platforms, format: "table", requireHost: false });
  }

  /**
   * Registers QEMU for each platform in the engine's host kernel (global to that machine) through one short-lived
   * helper container with insecureRootCapabilities, proves it there, then verifies on the engine. The engine
   * keeps running platforms it found missing at its start through its own QEMU until it restarts: the report says
   * so.
   *
   * @param platforms Platforms to register; the module's platforms by default.
   * @param image Installer image from a registry: qus's own by default (QUS_IMAGE, ghcr.io/qus/qus-binfmt:<version>), a
   * copy of it pushed to your registry, or a tonistiigi/binfmt image.
   * @param replace Replace an entry for the architecture that differs from QEMU's.
   * @param format table, json or markdown.
   */
  @func({ cache: "never" })
  async ensure(platforms?: string[], image?: string, replace = false, format = "table"): Promise<string> {
    return ensureText({ client: dag }, { platforms: platforms ?? this.platforms, image, replace, format });
  }

  /**
   * The engine's host kernel's binfmt_misc entries for each platform, read by a helper container with
   * insecureRootCapabilities. Changes nothing.
   *
   * @param platforms Platforms to show; the module's platforms by default.
   * @param image Installer image, as for ensure.
   * @param format table, json or markdown.
   */
  @func({ cache: "never" })
  async status(platforms?: string[], image?: string, format = "table"): Promise<string> {
    return statusText({ client: dag }, { platforms: platforms ?? this.platforms, image, format });
  }

  /**
   * The container, once its platform is proven to run on this engine; with ensure, registered in the host kernel
   * first. Fails with the report otherwise.
   *
   * @param container A container of the platform to prove (dag.container({ platform: "linux/arm64" })).
   * @param ensure Register the platform in the host kernel first when it does not run.
   * @param image Installer image, as for ensure.
   */
  @func({ cache: "never" })
  async withEmulation(container: Container, ensure = false, image?: string): Promise<Container> {
    return withEmulationOf({ client: dag }, container, { ensure, image });
  }
}
