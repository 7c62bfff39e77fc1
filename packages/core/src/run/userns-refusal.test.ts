import { describe, expect, it } from "vitest";
import {
  readUserNamespaceFacts,
  type UserNamespaceFacts,
  unshareFailed,
  userNamespaceRefusal,
} from "./userns-refusal.js";

const allowed: UserNamespaceFacts = { kernelRelease: "6.18.4-amd64", uid: 1000, maxUserNamespaces: 63_000 };

describe("userNamespaceRefusal: what /proc/sys says forbids a binfmt_misc of one's own", () => {
  it("allows a 6.7+ kernel with user namespaces on", () => {
    expect(userNamespaceRefusal(allowed)).toBeUndefined();
    expect(userNamespaceRefusal({ ...allowed, kernelRelease: "6.7.0" })).toBeUndefined();
  });

  it.each([
    [{ kernelRelease: "6.6.30-cloud" }, "Linux 6.6.30-cloud has one binfmt_misc table", "boot Linux 6.7 or later"],
    [{ maxUserNamespaces: 0 }, "user.max_user_namespaces = 0", "sysctl -w user.max_user_namespaces="],
    [{ maxMntNamespaces: 0 }, "user.max_mnt_namespaces = 0", "sysctl -w user.max_mnt_namespaces="],
    [{ unprivilegedUsernsClone: 0 }, "kernel.unprivileged_userns_clone = 0", "unprivileged_userns_clone=1"],
    [{ apparmorRestrict: 1 }, "kernel.apparmor_restrict_unprivileged_userns = 1", "restrict_unprivileged_userns=0"],
  ])("refuses %o with QUS_USERNS_UNAVAILABLE naming the cause, the knob and sudo qus ensure", (facts, cause, knob) => {
    const error = userNamespaceRefusal({ ...allowed, ...facts });
    expect(error?.code).toBe("QUS_USERNS_UNAVAILABLE");
    expect(error?.kind).toBe("environment");
    expect(error?.message).toContain(cause);
    expect(error?.hint).toContain(knob);
    expect(error?.hint).toContain("sudo qus ensure --platforms LIST");
  });

  it("holds root back only by the switches that bind root too", () => {
    const root = { ...allowed, uid: 0 };
    expect(userNamespaceRefusal({ ...root, unprivilegedUsernsClone: 0, apparmorRestrict: 1 })).toBeUndefined();
    expect(userNamespaceRefusal({ ...root, maxUserNamespaces: 0 })?.code).toBe("QUS_USERNS_UNAVAILABLE");
    expect(userNamespaceRefusal({ ...root, kernelRelease: "5.10.0-28-amd64" })?.code).toBe("QUS_USERNS_UNAVAILABLE");
  });

  it("allows the switches when they are on (1, 0)", () => {
    expect(userNamespaceRefusal({ ...allowed, unprivilegedUsernsClone: 1, apparmorRestrict: 0 })).toBeUndefined();
  });
});

describe("readUserNamespaceFacts", () => {
  it("reads the sysctls as numbers, absent files as unknown", () => {
    const files: Record<string, string> = {
      "/proc/sys/kernel/osrelease": "6.8.0-31-generic\n",
      "/proc/sys/user/max_user_namespaces": "0\n",
      "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n",
    };
    expect(readUserNamespaceFacts((path) => files[path], 1000)).toEqual({
      kernelRelease: "6.8.0-31-generic",
      uid: 1000,
      maxUserNamespaces: 0,
      maxMntNamespaces: undefined,
      unprivilegedUsernsClone: undefined,
      apparmorRestrict: 1,
    });
  });

  it("reads this machine's", () => {
    const facts = readUserNamespaceFacts();
    expect(facts.kernelRelease).toMatch(/^\d+\.\d+/);
    expect(facts.maxUserNamespaces).toBeTypeOf("number");
  });
});

describe("unshareFailed", () => {
  it("is the machine's fault, with unshare's status and the rootful alternative", () => {
    const error = unshareFailed(1);
    expect(error.code).toBe("QUS_USERNS_UNAVAILABLE");
    expect(error.message).toContain("unshare exited 1");
    expect(error.hint).toContain("sudo qus ensure");
  });
});
