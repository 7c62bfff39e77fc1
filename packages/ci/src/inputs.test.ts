import { QUS_IMAGE } from "@qus/core";
import { describe, expect, it } from "vitest";
import { INPUT_DEFAULTS, INPUT_NAMES, readStepInputs } from "./inputs.js";

const reader = (values: Record<string, string>) => (name: string) => values[name];

describe("readStepInputs: the plugins' inputs, checked before anything runs", () => {
  it("with nothing given: every platform, the kernel chosen, cleanup on, a docker-container builder if asked", () => {
    expect(readStepInputs(reader({}))).toEqual({
      platforms: ["all"],
      kernel: "auto",
      image: undefined,
      replace: false,
      flags: undefined,
      buildx: false,
      name: undefined,
      driver: "docker-container",
      driverOpts: [],
      use: true,
      cleanup: true,
    });
  });

  it("the defaults a runner passes from action.yml read the same as nothing given", () => {
    expect(readStepInputs(reader({ ...INPUT_DEFAULTS }))).toEqual(readStepInputs(reader({})));
    expect(Object.keys(INPUT_DEFAULTS)).toEqual([...INPUT_NAMES]);
  });

  it("platforms comma or newline separated, in any spelling", () => {
    expect(readStepInputs(reader({ platforms: "arm64, linux/riscv64\naarch64\n\n" })).platforms).toEqual([
      "arm64",
      "linux/riscv64",
      "aarch64",
    ]);
  });

  it("setup-buildx-action's inputs: name, driver, driver-opts (one a line), use, cleanup; a name implies buildx", () => {
    const inputs = readStepInputs(
      reader({
        platforms: "all",
        kernel: "docker",
        replace: "True",
        cleanup: "FALSE",
        use: "false",
        name: "multi",
        "driver-opts": "image=moby/buildkit:v0.20.0\n\nnetwork=host,foo\n",
      }),
    );
    expect(inputs).toMatchObject({
      kernel: "docker",
      replace: true,
      cleanup: false,
      use: false,
      buildx: true,
      name: "multi",
      driver: "docker-container",
      driverOpts: ["image=moby/buildkit:v0.20.0", "network=host,foo"],
    });
    expect(readStepInputs(reader({ "driver-opts": "network=host" })).buildx).toBe(true);
    expect(readStepInputs(reader({ buildx: "true", driver: "docker" }))).toMatchObject({
      buildx: true,
      driver: "docker",
    });
  });

  it("the inputs of earlier versions are refused, naming what took their place", () => {
    expect(() => readStepInputs(reader({ "builder-name": "multi" }))).toThrow(
      "the input builder-name is gone: it is name now",
    );
    for (const kernel of ["auto", "local"]) {
      const read = () => readStepInputs(reader({ driver: kernel }));
      expect(read).toThrow(`the input driver is "${kernel}": driver names the buildx driver now`);
      expect(read).toThrow(
        expect.objectContaining({ hint: `to choose the kernel to set up, write kernel: ${kernel}` }),
      );
    }
    // driver: docker meant the engine's kernel; with no builder to set up it is refused, naming both meanings.
    const old = () => readStepInputs(reader({ driver: "docker" }));
    expect(old).toThrow("the input driver is docker, but no buildx builder is set up");
    expect(old).toThrow(expect.objectContaining({ hint: expect.stringContaining("kernel: docker") }));
  });

  it("bad input is named with what it takes", () => {
    expect(() => readStepInputs(reader({ platforms: "linux/arm65" }))).toThrow('unknown platform "linux/arm65"');
    expect(() => readStepInputs(reader({ kernel: "kubernetes" }))).toThrow(
      'the input kernel is "kubernetes": it takes auto, local or docker',
    );
    expect(() => readStepInputs(reader({ buildx: "true", driver: "kubernetes" }))).toThrow(
      'the input driver is "kubernetes": it takes docker-container or docker',
    );
    expect(() => readStepInputs(reader({ name: "../x;id" }))).toThrow(
      'the input name is "../x;id": not a buildx builder name',
    );
    expect(() => readStepInputs(reader({ "driver-opts": "network host" }))).toThrow(
      'the input driver-opts has "network host": not key=value',
    );
    expect(() => readStepInputs(reader({ replace: "yes" }))).toThrow(
      'the input replace is "yes": it takes true or false',
    );
    expect(() => readStepInputs(reader({ use: "no" }))).toThrow('the input use is "no": it takes true or false');
  });

  it("an image that is no image reference is refused before anything runs", () => {
    for (const image of ["qus binfmt", "Qus-Binfmt:latest", `${QUS_IMAGE}\n--privileged`, "-v/:/host"]) {
      expect(() => readStepInputs(reader({ platforms: "arm64", image }))).toThrow(
        `the input image is ${JSON.stringify(image)}: not a container image reference`,
      );
    }
    // Left out: no image of its own, so core's default (QUS_IMAGE from the environment, else QUS_IMAGE) applies.
    expect(readStepInputs(reader({ platforms: "arm64" })).image).toBeUndefined();
    expect(readStepInputs(reader({ platforms: "arm64", image: QUS_IMAGE })).image).toBe(QUS_IMAGE);
    expect(readStepInputs(reader({ platforms: "arm64", image: "tonistiigi/binfmt:qemu-v9.2.2" })).image).toBe(
      "tonistiigi/binfmt:qemu-v9.2.2",
    );
  });

  it("a huge input is quoted short in the error, whichever input it is", () => {
    const huge = (char: string) => char.repeat(100_000);
    const short = (char: string) => `"${char.repeat(200)}"…(99800 more)`;
    for (const [name, value, message] of [
      ["platforms", huge("x"), `unknown platform ${short("x")}`],
      ["kernel", huge("x"), `the input kernel is ${short("x")}: it takes auto, local or docker`],
      ["driver", huge("x"), `the input driver is ${short("x")}: it takes docker-container or docker`],
      ["name", huge("!"), `the input name is ${short("!")}: not a buildx builder name`],
      ["replace", huge("x"), `the input replace is ${short("x")}: it takes true or false`],
      ["image", huge("x"), `the input image is ${short("x")}: not a container image reference`],
    ] as const) {
      expect(() => readStepInputs(reader({ platforms: "arm64", [name]: value })), name).toThrow(message);
    }
  });
});
