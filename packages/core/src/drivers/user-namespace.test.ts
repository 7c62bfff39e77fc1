import { describe, expect, it } from "vitest";
import { parseHelperOutput } from "./container/protocol.js";
import { describeUserNamespace } from "./user-namespace.js";

describe("describeUserNamespace", () => {
  it("the host's own namespace (every id mapped to itself) is not named", () => {
    expect(describeUserNamespace("         0          0 4294967295\n")).toBeUndefined();
  });

  it("unreadable or empty maps are not guessed at", () => {
    expect(describeUserNamespace(undefined)).toBeUndefined();
    expect(describeUserNamespace("\n")).toBeUndefined();
  });

  it("a namespace of its own (unshare -r; userns-remap; hostUsers: false) is named by its map", () => {
    expect(describeUserNamespace("         0          0          1\n")).toBe("uid map 0 0 1");
    expect(describeUserNamespace("0 100000 65536\n")).toBe("uid map 0 100000 65536");
    expect(describeUserNamespace("0 1000 1\n1 100000 65536\n")).toBe("uid map 0 1000 1, 1 100000 65536");
  });

  it("a full map that does not start at 0 is another namespace too", () => {
    expect(describeUserNamespace("1 1 4294967294\n")).toBe("uid map 1 1 4294967294");
  });
});

describe("the helper's uid map lines", () => {
  it("are read into one map, one line per range", () => {
    const report = parseHelperOutput("kernel 6.8.0\nuidmap 0 100000 65536\nuidmap 65536 0 1\ndone\n");
    expect(report.uidMap).toBe("0 100000 65536\n65536 0 1");
    expect(describeUserNamespace(report.uidMap)).toBe("uid map 0 100000 65536, 65536 0 1");
  });

  it("a helper that printed none (an older image's script) gives no namespace", () => {
    expect(describeUserNamespace(parseHelperOutput("kernel 6.8.0\ndone\n").uidMap)).toBeUndefined();
  });
});
