/** Helpers shared by @qus/vm's unit tests (not part of the package). */
import { isQusError, type QusError } from "@qus/core";

/** The QusError `call` throws; anything else it throws is rethrown, and throwing nothing fails. */
export function qusErrorOf(call: () => unknown): QusError {
  try {
    call();
  } catch (error) {
    if (isQusError(error)) return error;
    throw error;
  }
  throw new Error("expected a QusError, nothing was thrown");
}
