/**
 * One value per process, shared by every bundled copy of @qus/core (the CLI's bundle and @qus/buildx's copy): what
 * a signal handler must reach, such as the processes and temporary folders qus started, lives here.
 */
export function processWide<T>(name: string, create: () => T): T {
  const store = globalThis as Record<symbol, unknown>;
  const key = Symbol.for(`qus.${name}`);
  if (!(key in store)) store[key] = create();
  return store[key] as T;
}
