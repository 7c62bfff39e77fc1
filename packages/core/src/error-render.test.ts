import { describe, expect, it } from "vitest";
import {
  describeError,
  errorDocument,
  errorFromDocument,
  renderErrorJson,
  renderErrorText,
  UNEXPECTED_ERROR_CODE,
} from "./error-render.js";
import { EXIT_CODES, exitCodeOfError, QusError } from "./errors.js";

const readonly = new QusError("QUS_BINFMT_READONLY", "binfmt_misc is mounted read-only", { hint: "remount it rw" });

describe("describeError: one description of an error", () => {
  it("a QusError: its code, kind, message, hint and its code's exit code", () => {
    expect(describeError(readonly)).toEqual({
      code: "QUS_BINFMT_READONLY",
      kind: "environment",
      message: "binfmt_misc is mounted read-only",
      hint: "remount it rw",
      exitCode: 3,
    });
    expect(describeError(new QusError("QUS_UNKNOWN_PLATFORM", "x"))).toMatchObject({ kind: "input", exitCode: 2 });
    expect(describeError(new QusError("QUS_VERIFY_FAILED", "x"))).not.toHaveProperty("hint");
  });

  it("a command's own exit code for qus's failures overrides the code's", () => {
    expect(describeError(readonly, EXIT_CODES.qusFailed).exitCode).toBe(125);
  });

  it("a QusError of another bundle copy, or an Error carrying a known code, is described by its code", () => {
    const copy = Object.assign(new Error("x"), { name: "QusError", code: "QUS_NOT_ROOT", hint: "use sudo" });
    expect(describeError(copy)).toMatchObject({ code: "QUS_NOT_ROOT", kind: "environment", hint: "use sudo" });
    const coded = Object.assign(new Error("y"), { code: "QUS_USAGE" });
    expect(describeError(coded)).toMatchObject({ code: "QUS_USAGE", kind: "input", exitCode: 2 });
    expect(describeError(coded)).not.toHaveProperty("stack");
  });

  it("anything else is unexpected: exit 1, with its stack for the text", () => {
    const bug = new TypeError("undefined is not a function");
    expect(describeError(bug)).toMatchObject({ code: UNEXPECTED_ERROR_CODE, kind: "operation", exitCode: 1 });
    expect(describeError(bug).stack).toContain("TypeError: undefined is not a function\n    at ");
    expect(describeError("thrown text")).toMatchObject({ message: "thrown text", stack: "thrown text" });
    // An errno-coded system error is no QusError.
    expect(describeError(Object.assign(new Error("gone"), { code: "ENOENT" })).code).toBe(UNEXPECTED_ERROR_CODE);
  });

  it("its exit code is exitCodeOfError's", () => {
    for (const error of [readonly, new QusError("QUS_USAGE", "x"), new Error("boom"), undefined]) {
      expect(describeError(error).exitCode).toBe(exitCodeOfError(error));
    }
  });
});

describe("the text and the JSON say the same", () => {
  it("text: the code and message, the hint on its own line or in parentheses", () => {
    expect(renderErrorText(readonly)).toBe(
      "qus: error QUS_BINFMT_READONLY: binfmt_misc is mounted read-only\nhint: remount it rw",
    );
    expect(renderErrorText(readonly, { oneLine: true })).toBe(
      "qus: error QUS_BINFMT_READONLY: binfmt_misc is mounted read-only (hint: remount it rw)",
    );
    expect(renderErrorText(new QusError("QUS_TIMEOUT", "too slow"))).toBe("qus: error QUS_TIMEOUT: too slow");
    expect(renderErrorText(new Error("boom"))).toMatch(/^qus: unexpected error: Error: boom\n {4}at /);
  });

  it("JSON: the same code, kind, message and hint, and the exit code; never a stack", () => {
    const document = JSON.parse(renderErrorJson(readonly));
    expect(document).toEqual({
      schemaVersion: 1,
      ok: false,
      exitCode: 3,
      error: {
        code: "QUS_BINFMT_READONLY",
        kind: "environment",
        message: "binfmt_misc is mounted read-only",
        hint: "remount it rw",
      },
    });
    const text = renderErrorText(readonly);
    expect(text).toContain(`error ${document.error.code}: ${document.error.message}`);
    expect(text).toContain(`hint: ${document.error.hint}`);
    const bug = errorDocument(new Error("boom"), 125);
    expect(bug).toEqual({
      schemaVersion: 1,
      ok: false,
      exitCode: 125,
      error: { code: UNEXPECTED_ERROR_CODE, kind: "operation", message: "boom" },
    });
  });

  it("read back from JSON, the document is the QusError it was", () => {
    const back = errorFromDocument(JSON.parse(renderErrorJson(readonly)));
    expect(back).toBeInstanceOf(QusError);
    expect(back).toMatchObject({ code: readonly.code, message: readonly.message, hint: readonly.hint });
    expect(errorFromDocument({ ok: true, error: { code: "QUS_USAGE", message: "x" } })).toBeUndefined();
    expect(errorFromDocument({ ok: false, error: { code: "QUS_NO_SUCH_CODE", message: "x" } })).toBeUndefined();
    expect(errorFromDocument(JSON.parse(renderErrorJson(new Error("boom"))))).toBeUndefined();
    expect(errorFromDocument(undefined)).toBeUndefined();
  });
});
