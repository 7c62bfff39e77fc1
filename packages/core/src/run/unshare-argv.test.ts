import { describe, expect, it } from "vitest";
import { SETUP_SCRIPT } from "./setup-script.js";
import { DIES_WITH_QUS, namespacePlan, SCRIPT_NAME } from "./unshare-argv.js";

const NAMESPACES = ["unshare", "--user", "--mount", "--propagation", "private"];
const SCRIPT = ["--", ...DIES_WITH_QUS, "/bin/sh", "-c", SETUP_SCRIPT, SCRIPT_NAME];
const user = { uid: 1000, gid: 1000, subordinateIds: true };

describe("namespacePlan: unshare's argv and whom the command runs as", () => {
  it("by default: root of the outer namespace (it owns binfmt_misc's register), the command as the user", () => {
    expect(namespacePlan(user, false)).toEqual({
      argv: [...NAMESPACES, "--map-root-user", ...SCRIPT],
      identity: { uid: 1000, gid: 1000 },
    });
  });

  it("--root: root in the namespace, with the user's subordinate ids when there are any", () => {
    expect(namespacePlan(user, true)).toEqual({
      argv: [...NAMESPACES, "--map-root-user", "--map-auto", ...SCRIPT],
      identity: "root",
    });
    expect(namespacePlan({ ...user, subordinateIds: false }, true).argv).toEqual([
      ...NAMESPACES,
      "--map-root-user",
      ...SCRIPT,
    ]);
  });

  it("as root (or root of a namespace already): one namespace, root mapped to itself, no nested one", () => {
    for (const mapRoot of [false, true]) {
      expect(namespacePlan({ uid: 0, gid: 0, subordinateIds: true }, mapRoot)).toEqual({
        argv: [...NAMESPACES, "--map-root-user", ...SCRIPT],
        identity: "root",
      });
    }
  });
});
