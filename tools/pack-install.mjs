#!/usr/bin/env node
// Installs the packages as users get them: `npm pack` of each public workspace package, then one `npm install` of
// all the tarballs in a fresh project outside the repository. The registry serves third-party dependencies only;
// internal ones (@qus/core, ...) resolve to the tarballs, which this checks. Builds nothing: run `npm run build`
// first. Never touches the repository's node_modules or package-lock.json (packing only reads the packages).
//
// Usage: node tools/pack-install.mjs [--with <registry spec>]...
//   Prints the project's folder (the tarballs are in its `tarballs/`); remove the folder when done.
//   `--with` adds a registry package to the same install (typescript@5.9.3, testcontainers@12.2.0, ...).
// Imported: `await packInstall({ extra: [...] })` returns { project, tarballs, packages }.

import { execFile } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The repository this script belongs to. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;

/**
 * The environment of a user's shell, for npm and the commands run in the project: without the `npm_*` variables an
 * enclosing `npm run` sets (`npm_config_local_prefix` and friends would point npm at the repository), and with the
 * node running this script first on PATH (npm's `#!/usr/bin/env node` then runs on it too).
 */
export function userEnv(env = process.env) {
  const clean = Object.fromEntries(Object.entries(env).filter(([key]) => !key.toLowerCase().startsWith("npm_")));
  return { ...clean, PATH: [dirname(process.execPath), clean.PATH].filter(Boolean).join(delimiter) };
}

/** Runs a program with an argv array and a timeout; rejects with its output when it fails. */
export function run(file, args, { cwd, timeout, env = userEnv() }) {
  return new Promise((done, fail) => {
    execFile(
      file,
      args,
      { cwd, env, timeout, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) return done({ stdout, stderr });
        const why = error.killed ? `timed out after ${timeout} ms` : `exit ${error.code ?? error.signal}`;
        fail(new Error(`${[file, ...args].join(" ")} (in ${cwd}): ${why}\n${stdout}\n${stderr}`));
      },
    );
  });
}

/** Whether `path` is `folder` or inside it (after symlinks). */
function isInside(path, folder) {
  const rel = relative(realpathSync(folder), realpathSync(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * The node_modules folders above `folder`: node and tsc look there too for what the project's own node_modules
 * lacks, so a package that is broken as packed can seem to work (a /tmp/node_modules linked to the repository's).
 * The tests check where each module came from; this names the folders to warn.
 */
export function ancestorNodeModules(folder) {
  const found = [];
  for (let dir = dirname(folder); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules"))) found.push(join(dir, "node_modules"));
    if (dirname(dir) === dir) return found;
  }
}

/** The public workspace packages: { name, version, dir }, in the order of the root's `workspaces`. */
export function publicPackages(repoRoot = REPO_ROOT) {
  const root = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  const dirs = (root.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [join(repoRoot, pattern)];
    const parent = join(repoRoot, pattern.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(parent, entry.name))
      .sort();
  });
  return dirs
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, version: manifest.version, dir }));
}

/** The version of a root devDependency the repository has installed (its lockfile), for `--with`. */
export function repoVersionOf(name, repoRoot = REPO_ROOT) {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8"));
  const locked = lock.packages?.[`node_modules/${name}`]?.version;
  if (locked) return locked;
  const range = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).devDependencies?.[name];
  if (!range) throw new Error(`${name} is not a devDependency of the repository`);
  return range;
}

/**
 * The files an installed package's package.json names (`exports` targets under every condition, `bin`, `main`,
 * `types`) that are not in it: what `files` left out, or a build that did not run.
 */
export function missingEntryFiles(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const targets = [];
  const collect = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect([manifest.exports, manifest.bin, manifest.main, manifest.types]);
  return [...new Set(targets)].filter((target) => !target.includes("*") && !existsSync(join(packageDir, target)));
}

/** Files a consumer loads or typechecks: JavaScript and declarations (src/ and maps are there for debuggers). */
const LOADED = /\.(?:[cm]?js|d\.[cm]?ts)$/;
/** Import specifiers in JavaScript and declarations: static and dynamic imports, re-exports, require, augmentations. */
const SPECIFIERS = [
  /^\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  /^\s*declare\s+module\s+["']([^"']+)["']/gm,
];

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`), or undefined for relative and built-ins. */
function packageOf(specifier) {
  if (specifier.startsWith(".") || specifier.startsWith("/") || isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * The packages an installed package's JavaScript and declarations import but its package.json does not declare
 * (dependencies, peerDependencies, optionalDependencies; `@types/x` declares `x` for declarations): each only
 * resolves by luck, through the workspace or another package's hoisted dependency. Returns `file: package` lines.
 */
export function undeclaredImports(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const declared = new Set([
    manifest.name,
    ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }),
  ]);
  const found = [];
  for (const file of readdirSync(packageDir, { recursive: true, encoding: "utf8" }).sort()) {
    if (file.split("/").includes("node_modules") || !LOADED.test(file)) continue;
    const text = readFileSync(join(packageDir, file), "utf8");
    const types = /\.d\.[cm]?ts$/.test(file);
    const names = new Set(
      SPECIFIERS.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => packageOf(match[1]))),
    );
    for (const name of names) {
      if (name === undefined || declared.has(name)) continue;
      if (types && declared.has(`@types/${name.replace(/^@([^/]+)\//, "$1__")}`)) continue;
      found.push(`${file}: ${name}`);
    }
  }
  return found;
}

/**
 * Checks that each packed package came from its tarball: a real folder at the project's top level (not a link into
 * the repository), and no copy of it anywhere in the tree resolved from elsewhere (the registry, a link).
 */
function checkInstalled(project, packed) {
  const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8"));
  const problems = [];
  for (const { name, version, tarball } of packed) {
    const top = join(project, "node_modules", name);
    if (!existsSync(top)) problems.push(`${name} is not installed at node_modules/${name}`);
    else if (lstatSync(top).isSymbolicLink())
      problems.push(`node_modules/${name} is a symlink, not the tarball's files`);
    else if (isInside(top, REPO_ROOT)) problems.push(`node_modules/${name} resolves into the repository`);
    else {
      const installed = JSON.parse(readFileSync(join(top, "package.json"), "utf8")).version;
      if (installed !== version) problems.push(`node_modules/${name} is ${installed}, the tarball ${version}`);
    }
    for (const [key, entry] of Object.entries(lock.packages ?? {})) {
      if (!(key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`))) continue;
      const expected = `file:${relative(project, tarball)}`;
      if (entry.link || entry.resolved !== expected)
        problems.push(
          `${key} resolved to ${entry.link ? "a link" : (entry.resolved ?? "the registry")}, not ${expected}`,
        );
    }
  }
  if (problems.length > 0) throw new Error(`the packed install is not what users get:\n- ${problems.join("\n- ")}`);
}

/**
 * Packs the public workspace packages and installs them, with `extra` registry packages, in a new project under the
 * system's temporary folder. Returns the project's folder, the tarballs, and the packages.
 */
export async function packInstall({ extra = [], repoRoot = REPO_ROOT, log = () => {} } = {}) {
  const packages = publicPackages(repoRoot);
  if (packages.length === 0) throw new Error(`no public workspace packages in ${repoRoot}`);
  const project = mkdtempSync(join(realpathSync(tmpdir()), "qus-packed-"));
  try {
    if (isInside(project, repoRoot)) throw new Error(`the temporary folder ${project} is inside the repository`);
    const tarballDir = join(project, "tarballs");
    mkdirSync(tarballDir);
    // The project's own package.json first, so npm installs here and looks no further up for a root.
    writeFileSync(join(project, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`);

    const workspaceArgs = packages.flatMap(({ dir }) => ["--workspace", relative(repoRoot, dir)]);
    log(`packing ${packages.map(({ name }) => name).join(", ")}`);
    // --ignore-scripts: no prepack/prepare build; what `npm run build` left in each package is what is packed.
    const pack = await run(
      "npm",
      ["pack", "--json", "--ignore-scripts", "--pack-destination", tarballDir, ...workspaceArgs],
      { cwd: repoRoot, timeout: PACK_TIMEOUT_MS },
    );
    const results = JSON.parse(pack.stdout);
    const packed = packages.map((pkg) => {
      const result = results.find((candidate) => candidate.name === pkg.name);
      if (!result) throw new Error(`npm pack made no tarball for ${pkg.name}:\n${pack.stdout}`);
      return { ...pkg, tarball: join(tarballDir, result.filename), files: result.files.map((file) => file.path) };
    });

    log(`installing ${packed.length} tarballs${extra.length > 0 ? ` and ${extra.join(", ")}` : ""} in ${project}`);
    // One install of all the tarballs: the internal dependencies resolve to them, not to the registry. (`./`: a bare
    // `tarballs/x.tgz` would be read as a GitHub repository.)
    await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        ...packed.map(({ tarball }) => `./${relative(project, tarball)}`),
        ...extra,
      ],
      { cwd: project, timeout: INSTALL_TIMEOUT_MS },
    );
    checkInstalled(project, packed);
    for (const folder of ancestorNodeModules(project)) {
      const target = realpathSync(folder);
      log(
        `warning: ${folder}${target === folder ? "" : ` (-> ${target})`} is above the project: node and tsc fall back on it`,
      );
    }
    return { project, tarballs: packed.map(({ tarball }) => tarball), packages: packed };
  } catch (error) {
    rmSync(project, { recursive: true, force: true });
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { with: { type: "string", multiple: true, default: [] } } });
  try {
    const { project } = await packInstall({
      extra: values.with,
      log: (line) => process.stderr.write(`pack-install: ${line}\n`),
    });
    process.stdout.write(`${project}\n`);
  } catch (error) {
    process.stderr.write(`pack-install: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
