import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Modules that import each other in a circle load half-initialised and tie their ideas together: none is allowed.
// The graph is every relative import (`./x.js`, `../y.js`, types included) between the packages' source files.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)]
    .map((match) => resolve(dirname(file), (match[1] as string).replace(/\.js$/, ".ts")))
    .filter((target) => existsSync(target));
}

/** Every cycle's files, each cycle once (depth-first search for back edges). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("imports between source files", () => {
  it("the cycle finder finds a cycle and a self-import, and passes a tree", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["d"]],
      ["e", ["a"]],
    ]);
    expect(cycles(graph)).toEqual([["a", "b", "c"], ["d"]]);
    expect(
      cycles(
        new Map([
          ["x", ["y"]],
          ["y", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("no package's modules import each other in a circle", () => {
    const packages = join(ROOT, "packages");
    const files = readdirSync(packages)
      .map((name) => join(packages, name, "src"))
      .filter((src) => existsSync(src))
      .flatMap(sourceFiles);
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    expect(graph.size).toBeGreaterThan(100);
    const named = cycles(graph).map((cycle) => cycle.map((file) => relative(ROOT, file)).join(" -> "));
    expect(named).toEqual([]);
  });
});
