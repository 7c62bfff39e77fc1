import { describe, expect, it } from "vitest";
import { readStepInputs } from "./inputs.js";

const reader = (values: Record<string, string>) => (name: string) => values[name];

describe("readStepInputs: the plugins' inputs, checked before anything runs", () => {
  it("platforms comma or newline separated, in any spelling; defaults for the rest", () => {
    expect(readStepInputs(reader({ platforms: "arm64, linux/riscv64\naarch64\n\n" }))).toEqual({
      platforms: ["arm64", "linux/riscv64", "aarch64"],
      driver: "auto",
      image: undefined,
      replace: false,
      flags: undefined,
      buildx: false,
      builderName: undefined,
      cleanup: false,
    });
  });

  it("booleans as YAML writes them; a builder name implies buildx", () => {
    const inputs = readStepInputs(
      reader({ platforms: "all", driver: "docker", replace: "True", cleanup: "TRUE", "builder-name": "multi" }),
    );
    expect(inputs).toMatchObject({
      driver: "docker",
      replace: true,
      cleanup: true,
      buildx: true,
      builderName: "multi",
    });
  });

  it("bad input is named with what it takes", () => {
    expect(() => readStepInputs(reader({ platforms: " " }))).toThrow("the input platforms is empty");
    expect(() => readStepInputs(reader({ platforms: "linux/arm65" }))).toThrow('unknown platform "linux/arm65"');
    expect(() => readStepInputs(reader({ platforms: "arm64", driver: "kubernetes" }))).toThrow(
      'the input driver is "kubernetes": it takes auto, local or docker',
    );
    expect(() => readStepInputs(reader({ platforms: "arm64", "builder-name": "../x;id" }))).toThrow(
      'the input builder-name is "../x;id": not a buildx builder name',
    );
    expect(() => readStepInputs(reader({ platforms: "arm64", replace: "yes" }))).toThrow(
      'the input replace is "yes": it takes true or false',
    );
  });

  it("an image that is no image reference is refused before anything runs", () => {
    for (const image of ["qus binfmt", "Qus-Binfmt:latest", "qus-binfmt:latest\n--privileged", "-v/:/host"]) {
      expect(() => readStepInputs(reader({ platforms: "arm64", image }))).toThrow(
        `the input image is ${JSON.stringify(image)}: not a container image reference`,
      );
    }
    expect(readStepInputs(reader({ platforms: "arm64", image: "tonistiigi/binfmt:qemu-v9.2.2" })).image).toBe(
      "tonistiigi/binfmt:qemu-v9.2.2",
    );
  });

  it("a huge input is quoted short in the error, whichever input it is", () => {
    const huge = (char: string) => char.repeat(100_000);
    const short = (char: string) => `"${char.repeat(200)}"…(99800 more)`;
    for (const [name, value, message] of [
      ["platforms", huge("x"), `unknown platform ${short("x")}`],
      ["driver", huge("x"), `the input driver is ${short("x")}: it takes auto, local or docker`],
      ["builder-name", huge("!"), `the input builder-name is ${short("!")}: not a buildx builder name`],
      ["replace", huge("x"), `the input replace is ${short("x")}: it takes true or false`],
      ["image", huge("x"), `the input image is ${short("x")}: not a container image reference`],
    ] as const) {
      expect(() => readStepInputs(reader({ platforms: "arm64", [name]: value })), name).toThrow(message);
    }
  });
});
