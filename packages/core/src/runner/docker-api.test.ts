import { describe, expect, it } from "vitest";
import { QUS_IMAGE } from "../installer-image.js";
import { createRequest, describeApiPrivilege, HELPER_LABEL } from "./docker-api.js";

const spec = {
  image: QUS_IMAGE,
  command: ["sh", "-c", "x"],
  entrypoint: "/bin/busybox",
  needsBinfmtMount: true,
};

describe("createRequest: a helper container's intent in the Engine API's terms", () => {
  it("least privilege: CAP_SYS_ADMIN only, no network, removed when it ends, labelled", () => {
    const request = createRequest({ ...spec, privilege: "least" }, { apparmor: false, selinux: false }, "qus-helper-1");
    expect(request).toEqual({
      name: "qus-helper-1",
      Image: QUS_IMAGE,
      Entrypoint: ["/bin/busybox"],
      Cmd: ["sh", "-c", "x"],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      NetworkDisabled: true,
      Labels: { [HELPER_LABEL]: "true" },
      HostConfig: { AutoRemove: true, NetworkMode: "none", Privileged: false, CapAdd: ["SYS_ADMIN"], SecurityOpt: [] },
    });
  });

  it("least privilege lifts AppArmor and SELinux only where the engine uses them", () => {
    const request = createRequest({ ...spec, privilege: "least" }, { apparmor: true, selinux: true }, "n");
    expect(request.HostConfig.SecurityOpt).toEqual(["apparmor=unconfined", "label=disable"]);
  });

  it("full privilege: Privileged, nothing else added; a platform goes to the create call, not the body", () => {
    const request = createRequest(
      { ...spec, privilege: "full", platform: "linux/arm64" },
      { apparmor: true, selinux: false },
      "n",
    );
    expect(request.HostConfig).toMatchObject({ Privileged: true, CapAdd: [], SecurityOpt: [] });
    expect(request.platform).toBe("linux/arm64");
  });

  it("a container that mounts nothing gets no capability", () => {
    const request = createRequest(
      { ...spec, needsBinfmtMount: false, privilege: "least" },
      { apparmor: true, selinux: true },
      "n",
    );
    expect(request.HostConfig).toMatchObject({ Privileged: false, CapAdd: [], SecurityOpt: [] });
    expect(describeApiPrivilege("least")).toBe("CapAdd SYS_ADMIN");
    expect(describeApiPrivilege("full")).toBe("Privileged");
  });
});
