import { release } from "node:os";

/** Whether a kernel release string (`6.1.0-18-amd64`) is at least major.minor. */
export function kernelAtLeast(major: number, minor: number, kernelRelease: string = release()): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!match) return true;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}
