import { PassThrough, type Readable } from "node:stream";
import { DEFAULT_MAX_OUTPUT_BYTES } from "@qus/core/runner";
import type Dockerode from "dockerode";

/**
 * Demultiplexes a container's attach stream into stdout and stderr, as text, keeping at most
 * {@link DEFAULT_MAX_OUTPUT_BYTES}; past that the stream is let go and `onOverflow` called.
 */
export function collectOutput(dockerode: Dockerode, stream: Readable, onOverflow: () => void) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let bytes = 0;
  let overflowed = false;
  const keep = (into: Buffer[]) => (chunk: Buffer) => {
    if (overflowed) return;
    bytes += chunk.length;
    if (bytes <= DEFAULT_MAX_OUTPUT_BYTES) {
      into.push(chunk);
      return;
    }
    overflowed = true;
    stream.destroy();
    onOverflow();
  };
  stdout.on("data", keep(chunks.stdout));
  stderr.on("data", keep(chunks.stderr));
  dockerode.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
  return {
    overflowed: () => overflowed,
    /** The output so far, after the stream ended or `graceMs` passed. */
    async settle(graceMs: number) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      stream.destroy();
      return {
        stdout: Buffer.concat(chunks.stdout).toString("utf8"),
        stderr: Buffer.concat(chunks.stderr).toString("utf8"),
      };
    },
  };
}
