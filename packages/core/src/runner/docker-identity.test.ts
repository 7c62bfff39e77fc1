import { describe, expect, it } from "vitest";
import { readDockerIdentity } from "./docker-identity.js";

describe("readDockerIdentity", () => {
  it("reads the engine's ID and version and the client's context", () => {
    const json = JSON.stringify({ ID: "E1", ServerVersion: "28.0.0", ClientInfo: { Context: "ci" } });
    expect(readDockerIdentity(json)).toEqual({
      id: "E1",
      serverVersion: "28.0.0",
      serverErrors: [],
      clientContext: "ci",
    });
  });

  it("keeps the client's server errors when it reached no server", () => {
    expect(readDockerIdentity(JSON.stringify({ ServerErrors: ["Cannot connect"] }))).toEqual({
      serverErrors: ["Cannot connect"],
    });
  });

  it.each(["", "null", "not json", '"text"'])("%j is no info", (text) => {
    expect(readDockerIdentity(text)).toBeUndefined();
  });
});
