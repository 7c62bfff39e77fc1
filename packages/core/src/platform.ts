import { quoteInput } from "./display.js";
import { QusError } from "./errors.js";
import { TARGETS, type Target } from "./targets.js";

const BY_NAME = new Map<string, Target>();
for (const target of TARGETS) {
  for (const name of [target.cpu, ...target.platforms, ...target.aliases]) BY_NAME.set(name.toLowerCase(), target);
}

/** Every name {@link resolvePlatforms} accepts, for help texts and suggestions. */
export function knownPlatformNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

/** The names in user input as written, split at commas and spaces, empty items left out. */
export function platformNames(input: string | readonly string[]): string[] {
  return (typeof input === "string" ? [input] : input)
    .flatMap((part) => part.split(/[\s,]+/))
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/**
 * Resolves user input to targets: `linux/arm64`, `arm64`, `aarch64`, `linux/arm/v7`, `armhf`, `ppc64el`, `all`,
 * and lists of them separated by commas (or spaces). Duplicates collapse; order is kept.
 * Throws QUS_UNKNOWN_PLATFORM naming the input and the nearest valid names.
 */
export function resolvePlatforms(input: string | readonly string[]): Target[] {
  const names = platformNames(input);
  if (names.length === 0) {
    throw new QusError("QUS_USAGE", "no platforms given", {
      hint: "pass --platforms with a list such as linux/arm64,linux/riscv64, or all",
    });
  }
  const resolved = new Set<Target>();
  for (const name of names) {
    if (name.toLowerCase() === "all") {
      for (const target of TARGETS) resolved.add(target);
      continue;
    }
    resolved.add(resolveOne(name));
  }
  return [...resolved];
}

function resolveOne(name: string): Target {
  const key = name.toLowerCase();
  const target = BY_NAME.get(key) ?? BY_NAME.get(key.replace(/^linux\//, ""));
  if (target) return target;
  const nearest = nearestNames(key.replace(/^linux\//, ""), 3);
  throw new QusError("QUS_UNKNOWN_PLATFORM", `unknown platform ${quoteInput(name)}`, {
    hint: `did you mean ${nearest.map((n) => JSON.stringify(n)).join(", ")}? Run \`qus status --platforms all\` to list every platform`,
  });
}

function nearestNames(key: string, count: number): string[] {
  const candidates = [...new Set(TARGETS.flatMap((t) => [...t.platforms, ...t.aliases]))];
  return candidates
    .map((name) => ({ name, distance: editDistance(key, name.replace(/^linux\//, "")) }))
    .sort((a, b) => a.distance - b.distance || a.name.length - b.name.length)
    .slice(0, count)
    .map((entry) => entry.name);
}

/** Levenshtein distance: how many single-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
