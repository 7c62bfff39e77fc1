import type { Values } from "./command.js";

/** An option's value when it was given as a string (an empty one included), else undefined. */
export const text = (values: Values, name: string): string | undefined =>
  typeof values[name] === "string" ? (values[name] as string) : undefined;

/** Whether a boolean option was given. */
export const flag = (values: Values, name: string): boolean => values[name] === true;
