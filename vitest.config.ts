import { defineConfig } from "vitest/config";

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
