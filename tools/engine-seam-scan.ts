import ts from "typescript";

// The scanner of tools/engine-seam.test.ts: where a TypeScript file runs docker, podman or buildx, or reaches for
// child processes, itself (its own file, since a test file exports nothing).

const ENGINES = new Set(["docker", "podman"]);
/** Calls that take a program to run (or look up) as their first argument. */
const PROGRAM_TAKERS = new Set([
  "exec",
  "execProcess",
  "execFile",
  "execFileSync",
  "execSync",
  "spawn",
  "spawnSync",
  "fork",
  "runSyncBestEffort",
  "requireProgram",
  "findProgram",
]);
/** Calls that take a whole argv (program first). */
const ARGV_TAKERS = new Set(["runStep"]);
const CHILD_PROCESS = new Set(["node:child_process", "child_process"]);

const literal = (node: ts.Node | undefined): string | undefined =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

const calleeName = (call: ts.CallExpression): string | undefined => {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
};

/** Where `text` runs an engine's client or reaches for child processes itself, as `line N: what`. */
export function engineCallsOutsideSeam(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`line ${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const from = literal(node.moduleSpecifier);
      if (from && CHILD_PROCESS.has(from)) at(node, `imports ${from}`);
    }
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      const [first] = node.arguments;
      const program = literal(first);
      if ((name === "require" || node.expression.kind === ts.SyntaxKind.ImportKeyword) && program) {
        if (CHILD_PROCESS.has(program)) at(node, `imports ${program}`);
      }
      if (name && PROGRAM_TAKERS.has(name) && program && ENGINES.has(program)) at(node, `${name}("${program}")`);
      if (name && ARGV_TAKERS.has(name)) {
        for (const arg of node.arguments) {
          const head = ts.isArrayLiteralExpression(arg) ? literal(arg.elements[0]) : undefined;
          if (head && ENGINES.has(head)) at(arg, `${name} of ["${head}", ...]`);
        }
      }
    }
    if (ts.isArrayLiteralExpression(node) && literal(node.elements[0]) === "buildx") at(node, `argv ["buildx", ...]`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
