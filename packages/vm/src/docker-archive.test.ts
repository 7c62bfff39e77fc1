import { describe, expect, it } from "vitest";
import { imageConfig, withTag } from "./docker-archive.js";

const DIFF_ID = `sha256:${"ab".repeat(32)}`;
const CREATED = "2024-05-01T12:00:00.000Z";

describe("imageConfig", () => {
  it("linux/arm64: architecture and os, no variant", () => {
    const config = imageConfig("linux/arm64", DIFF_ID, CREATED);
    expect(config).toMatchObject({ architecture: "arm64", os: "linux", created: CREATED });
    expect("variant" in config).toBe(false);
    expect(config.rootfs).toEqual({ type: "layers", diff_ids: [DIFF_ID] });
    expect(config.history).toEqual([{ created: CREATED, created_by: "qus vm to-image" }]);
    expect(config.config.Cmd).toEqual(["/bin/sh"]);
    expect(config.config.Env.some((entry) => entry.startsWith("PATH=") && entry.includes("/usr/bin"))).toBe(true);
  });

  it("linux/arm/v7: architecture arm, variant v7", () => {
    const config = imageConfig("linux/arm/v7", DIFF_ID, CREATED);
    expect(config).toMatchObject({ architecture: "arm", os: "linux", variant: "v7" });
    expect(config.rootfs.diff_ids).toEqual([DIFF_ID]);
  });

  it("is plain JSON", () => {
    const config = imageConfig("linux/arm/v7", DIFF_ID, CREATED);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });
});

describe("withTag", () => {
  it.each<[string, string]>([
    ["busybox", "busybox:latest"],
    ["busybox:1.36", "busybox:1.36"],
    ["library/debian", "library/debian:latest"],
    ["registry.example.com/team/app", "registry.example.com/team/app:latest"],
    ["localhost:5000/app", "localhost:5000/app:latest"],
    ["localhost:5000/app:v2", "localhost:5000/app:v2"],
    ["qus/arm64:from-vm", "qus/arm64:from-vm"],
  ])("%s -> %s", (name, tagged) => {
    expect(withTag(name)).toBe(tagged);
  });
});
