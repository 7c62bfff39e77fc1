/** Helpers shared by @qus/cli's unit tests (not bundled: build.mjs starts from main.ts). */
import { type Io, main } from "./main.js";

/** Runs `qus` with a fake io and returns the exit code and what it wrote. */
export async function runQus(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
