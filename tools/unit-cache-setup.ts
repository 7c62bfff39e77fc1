import { rmSync } from "node:fs";

/** Vitest's global set-up of the unit project: removes the unit tests' private cache folder when they end. */
export default function setup(): () => void {
  const dir = process.env.QUS_UNIT_CACHE;
  return () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
