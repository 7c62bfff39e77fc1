import { isAbsolute, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { type GuestFile, guestFiles } from "./guest-files.js";
import { CONTROL_PORT_NAME, GUEST_DOCKER_PORT } from "./qemu-command.js";

const DROP_IN = "etc/systemd/system/docker.service.d/qus.conf";
const contentOf = (files: readonly GuestFile[], path: string) => {
  const file = files.find((candidate) => candidate.path === path);
  return file && "content" in file ? file.content : undefined;
};

describe("guestFiles", () => {
  it("the docker drop-in only with docker=true", () => {
    expect(guestFiles("qus-arm64", false).some((file) => file.path === DROP_IN)).toBe(false);
    expect(guestFiles("qus-arm64", false).some((file) => file.path.includes("docker"))).toBe(false);
    const dropIn = contentOf(guestFiles("qus-arm64", true), DROP_IN);
    expect(dropIn).toBeDefined();
    // An empty ExecStart= first: a drop-in adds to the unit's ExecStart otherwise.
    expect(dropIn).toMatch(/^\[Service\]\nExecStart=\nExecStart=\/usr\/sbin\/dockerd /);
    expect(dropIn).toContain(`-H tcp://0.0.0.0:${GUEST_DOCKER_PORT}`);
    expect(dropIn).toContain("-H fd://");
  });

  it("with docker=true it is the same files and the drop-in", () => {
    const without = guestFiles("vm1", false);
    const withDocker = guestFiles("vm1", true);
    expect(withDocker.filter((file) => file.path !== DROP_IN)).toEqual(without);
    expect(withDocker).toHaveLength(without.length + 1);
  });

  it("the control unit is enabled by a symbolic link in multi-user.target.wants", () => {
    const files = guestFiles("qus-arm64", false);
    const unit = contentOf(files, "etc/systemd/system/qus-control.service");
    expect(unit).toContain("ExecStart=/usr/local/sbin/qus-control");
    expect(unit).toContain("WantedBy=multi-user.target");
    expect(files).toContainEqual({
      path: "etc/systemd/system/multi-user.target.wants/qus-control.service",
      link: "/etc/systemd/system/qus-control.service",
    });
    const script = files.find((file) => file.path === "usr/local/sbin/qus-control");
    expect(script && "mode" in script ? script.mode : undefined).toBe(0o755);
    expect(script && "content" in script ? script.content : "").toMatch(/^#!\/bin\/sh\n/);
    // The script looks for the port QEMU names.
    expect(contentOf(files, "usr/local/sbin/qus-control")).toContain(`= ${CONTROL_PORT_NAME} ]`);
  });

  it("networkd is enabled by links, and matches the virtio NIC", () => {
    const files = guestFiles("qus-arm64", false);
    expect(files).toContainEqual({
      path: "etc/systemd/system/multi-user.target.wants/systemd-networkd.service",
      link: "/lib/systemd/system/systemd-networkd.service",
    });
    expect(contentOf(files, "etc/systemd/network/50-qus.network")).toContain("DHCP=yes");
  });

  it("names the host", () => {
    const files = guestFiles("my-vm", true);
    expect(contentOf(files, "etc/hostname")).toBe("my-vm\n");
    expect(contentOf(files, "etc/hosts")).toContain("127.0.1.1 my-vm\n");
    expect(contentOf(files, "etc/hosts")).toContain("127.0.0.1 localhost\n");
    expect(contentOf(files, "etc/fstab")).toMatch(/^\/dev\/vda \/ ext4 /);
  });

  it.each([false, true])(
    "docker=%s: every path is relative, normalized and once; modes are permission bits",
    (docker) => {
      const files = guestFiles("qus-armhf", docker);
      for (const file of files) {
        expect(isAbsolute(file.path), file.path).toBe(false);
        expect(normalize(file.path), file.path).toBe(file.path);
        expect(file.path.split("/"), file.path).not.toContain("..");
        expect(file.path.startsWith("./"), file.path).toBe(false);
        if ("mode" in file) expect(file.mode & ~0o7777, file.path).toBe(0);
        if ("link" in file) expect(isAbsolute(file.link), file.path).toBe(true);
      }
      const paths = files.map((file) => file.path);
      expect(new Set(paths).size).toBe(paths.length);
    },
  );
});
