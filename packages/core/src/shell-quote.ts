// Characters that never need quoting in a POSIX shell word.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument quoted for a POSIX shell, so a command qus prints is safe to paste whatever the argument holds. */
export function quoteShellArg(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv array as one line a user can paste into a POSIX shell. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map(quoteShellArg).join(" ");
}
