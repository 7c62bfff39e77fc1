import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// The unit tests' own cache folder (see the unit project), removed when they end (tools/unit-cache-setup.ts).
const unitCache = join(tmpdir(), `qus-unit-cache-${process.pid}`);
process.env.QUS_UNIT_CACHE = unitCache;

// Two projects: `unit` is pure and runs in parallel; `kernel` changes this machine's binfmt_misc table
// (global to the machine), so it needs root and runs one file at a time.
export default defineConfig({
  resolve: { conditions: ["@qus/source"] },
  test: {
    // The JSON report lets CI print a plain "N passed, N failed" line (tools/test-summary.mjs).
    reporters: ["default", ["json", { outputFile: "node_modules/.cache/vitest-report.json" }]],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "tools/**/*.test.ts"],
          // Fakes answer qus's questions here: what they say must never reach the caches of the user running the
          // tests (a fake QEMU version cached for /usr/bin/qemu-s390x-static made a real `qus persist` refuse it).
          env: { XDG_CACHE_HOME: unitCache },
          globalSetup: ["tools/unit-cache-setup.ts"],
          // .cache: fixtures and work folders (a VM root being built holds /proc and /sys mounts).
          exclude: ["**/*.kernel.test.ts", "**/node_modules/**", "**/.cache/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "kernel",
          include: ["e2e/**/*.kernel.test.ts", "packages/*/src/**/*.kernel.test.ts"],
          fileParallelism: false,
          sequence: { concurrent: false },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
