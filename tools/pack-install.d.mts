// Types of tools/pack-install.mjs, for the tests that import it.

/** The repository the script belongs to. */
export declare const REPO_ROOT: string;

/** A public workspace package. */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** A package as packed: its tarball and the files in it. */
export interface PackedPackage extends WorkspacePackage {
  readonly tarball: string;
  readonly files: readonly string[];
}

/** The project the tarballs were installed in. */
export interface PackedInstall {
  readonly project: string;
  readonly tarballs: readonly string[];
  readonly packages: readonly PackedPackage[];
}

/** The environment of a user's shell: no npm_* variables, this node first on PATH. */
export declare function userEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }>;
/** The node_modules folders above `folder`, which node and tsc fall back on. */
export declare function ancestorNodeModules(folder: string): string[];
/** The files an installed package's package.json names that it does not contain. */
export declare function missingEntryFiles(packageDir: string): string[];
/** What an installed package imports without declaring it: `file: package` lines. */
export declare function undeclaredImports(packageDir: string): string[];
export declare function publicPackages(repoRoot?: string): WorkspacePackage[];
export declare function repoVersionOf(name: string, repoRoot?: string): string;
export declare function packInstall(options?: {
  extra?: readonly string[];
  repoRoot?: string;
  log?: (line: string) => void;
}): Promise<PackedInstall>;
