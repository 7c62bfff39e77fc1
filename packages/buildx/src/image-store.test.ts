import { describe, expect, it } from "vitest";
import { usesContainerdStore } from "./image-store.js";

describe("usesContainerdStore: docker info's DriverStatus, as buildx's docker driver decides multi-platform", () => {
  it("the classic store (recorded: docker 20.10.24, overlay2): false", () => {
    const info = JSON.stringify({
      Driver: "overlay2",
      DriverStatus: [
        ["Backing Filesystem", "extfs"],
        ["Supports d_type", "true"],
        ["Native Overlay Diff", "true"],
        ["userxattr", "false"],
      ],
    });
    expect(usesContainerdStore(info)).toBe(false);
  });

  it("the containerd store (driver-type io.containerd.snapshotter.v1): true", () => {
    const info = JSON.stringify({
      Driver: "overlayfs",
      DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]],
    });
    expect(usesContainerdStore(info)).toBe(true);
  });

  it("no DriverStatus, not JSON, or odd shapes: false (the classic store's rule, the safe side)", () => {
    expect(usesContainerdStore("{}")).toBe(false);
    expect(usesContainerdStore("not json")).toBe(false);
    expect(usesContainerdStore('{"DriverStatus":"x"}')).toBe(false);
    expect(usesContainerdStore('{"DriverStatus":[null,["driver-type"]]}')).toBe(false);
  });
});
