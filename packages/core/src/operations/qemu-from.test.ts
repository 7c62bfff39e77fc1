import { describe, expect, it } from "vitest";
import { fakeDriver, rejection } from "../test-support.js";
import { validateQemuOptions } from "./common.js";
import { ensure } from "./ensure.js";
import { verify } from "./status.js";

// --qemu-from is checked before anything is fetched or inspected: these never reach the network or a kernel.
describe("the qemuFrom option", () => {
  it("excludes qemuPath (QUS_USAGE)", async () => {
    const error = await rejection(ensure({ platforms: "arm64", qemuFrom: "debian:trixie", qemuPath: "/usr/bin" }));
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toMatch(/--qemu-from and --qemu-path exclude each other/);
  });

  it("goes with the local driver only, and points engines to image build", async () => {
    const driver = { ...fakeDriver([]), name: "docker" };
    const error = await rejection(verify({ platforms: "arm64", qemuFrom: "debian:trixie", driver }));
    expect(error.code).toBe("QUS_USAGE");
    expect(error.hint).toMatch(/qus image build --qemu-from/);
  });

  it("an unknown source is bad input before anything runs", () => {
    expect(() => validateQemuOptions({ qemuFrom: "fedora:41" })).toThrow(/unknown QEMU source/);
    expect(() => validateQemuOptions({ qemuFrom: "debian:trixie" })).not.toThrow();
    expect(() => validateQemuOptions({})).not.toThrow();
  });
});
