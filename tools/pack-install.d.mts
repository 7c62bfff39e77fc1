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

export declare function cleanEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function run(
  file: string,
  args: readonly string[],
  options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }>;
export declare function publicPackages(repoRoot?: string): WorkspacePackage[];
export declare function repoVersionOf(name: string, repoRoot?: string): string;
export declare function packInstall(options?: {
  extra?: readonly string[];
  repoRoot?: string;
  log?: (line: string) => void;
}): Promise<PackedInstall>;
