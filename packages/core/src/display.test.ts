import { describe, expect, it } from "vitest";
import { printable, quoteInput } from "./display.js";

describe("printable: text from outside, shown on a terminal", () => {
  it("control characters and terminal escapes as \\xNN, bidi overrides as \\uNNNN; the rest as it is", () => {
    expect(printable("node-a")).toBe("node-a");
    expect(printable("a\nb\tc\r")).toBe("a\\x0ab\\x09c\\x0d");
    expect(printable("\u001b[2J\u001b]0;title\u0007")).toBe("\\x1b[2J\\x1b]0;title\\x07");
    expect(printable("\u009b31m\u007f")).toBe("\\x9b31m\\x7f");
    expect(printable("abc\u202edcba")).toBe("abc\\u202edcba");
    expect(printable("é ü 日本 🙂")).toBe("é ü 日本 🙂");
  });
});

describe("quoteInput: user input in an error message", () => {
  it("JSON-quoted, whole when short", () => {
    expect(quoteInput("")).toBe('""');
    expect(quoteInput("a b\n")).toBe('"a b\\n"');
  });

  it("cut after the limit, saying how much more there was", () => {
    expect(quoteInput("x".repeat(100_000))).toBe(`"${"x".repeat(200)}"…(99800 more)`);
    expect(quoteInput("abcdef", 3)).toBe('"abc"…(3 more)');
  });

  it("never splits a surrogate pair", () => {
    expect(quoteInput("ab🙂cd", 3)).toBe('"ab"…(4 more)');
  });
});
