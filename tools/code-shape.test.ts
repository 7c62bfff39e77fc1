import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// Small files with one job, and functions a reader holds in one view: no source file over 350 lines, no function
// (declaration, method, arrow or expression, factory closures included) over 80. Tests are not held to it.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAX_FILE_LINES = 350;
const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Functions of `text` longer than `max` lines, as `name (N lines) at line L`. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = source.getLineAndCharacterOfPosition(node.end).line - first + 1;
      const name = (node as ts.FunctionLikeDeclaration).name?.getText(source) ?? "(anonymous)";
      if (lines > max) found.push(`${name} (${lines} lines) at line ${first + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("the shape of the source", () => {
  it("the checker finds a long function, nested or not", () => {
    const body = Array.from({ length: 5 }, (_, i) => `  const a${i} = ${i};`).join("\n");
    const text = `export function outer() {\n  const inner = () => {\n${body}\n  };\n  return inner;\n}\n`;
    expect(longFunctions("x.ts", text, 6)).toEqual(["outer (10 lines) at line 1", "(anonymous) (7 lines) at line 2"]);
    expect(longFunctions("x.ts", text, 10)).toEqual([]);
  });

  const files = readdirSync(join(ROOT, "packages"))
    .map((name) => join(ROOT, "packages", name, "src"))
    .filter((src) => statSync(src, { throwIfNoEntry: false })?.isDirectory())
    .flatMap(sourceFiles);

  it(`no source file over ${MAX_FILE_LINES} lines`, () => {
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .map((file) => [relative(ROOT, file), readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap((file) =>
      longFunctions(file, readFileSync(file, "utf8"), MAX_FUNCTION_LINES).map(
        (where) => `${relative(ROOT, file)}: ${where}`,
      ),
    );
    expect(long).toEqual([]);
  });
});
