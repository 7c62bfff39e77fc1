import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { QUS_VERSION } from "./version.js";

describe("QUS_VERSION", () => {
  it("is @qus/core's package version (npm run version writes it after changeset version)", () => {
    const json = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(QUS_VERSION).toBe(json.version);
  });
});
