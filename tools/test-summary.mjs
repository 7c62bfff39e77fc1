// Prints the last test run's totals as one plain line, "N passed, N failed, N skipped", from vitest's JSON report.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync("node_modules/.cache/vitest-report.json", "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
