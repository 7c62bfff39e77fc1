import { describe, expect, it } from "vitest";
import { engineCall } from "./engine.js";

// No engine: a call that never settles stands for an engine (or its registry) that never answers.
describe("engineCall (no engine runs here)", () => {
  it("a call the engine never answers ends at its bound as QUS_TIMEOUT, naming it", async () => {
    await expect(engineCall("from registry.example/qus-binfmt", () => new Promise(() => {}), 50)).rejects.toMatchObject(
      {
        code: "QUS_TIMEOUT",
        message: "from registry.example/qus-binfmt: the Dagger engine did not answer within 0.05 s",
      },
    );
  });

  it("an answer in time is passed on", async () => {
    await expect(engineCall("version", async () => "v0.21.9", 1000)).resolves.toBe("v0.21.9");
  });
});
