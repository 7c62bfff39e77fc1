/** Strings qus did not write (an API server's, a file's, the user's) as they are shown to people. */

// C0 controls (newline, ESC that starts a terminal escape sequence), DEL, C1 controls (CSI), and the bidi
// overrides and isolates that make a terminal show text in another order than it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters it escapes
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The text with every control character as `\xNN` (`\uNNNN` above 0xff), never raw: one line that shows what it
 * holds, and a terminal escape sequence in it shown instead of obeyed.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** How many characters of a value {@link quoteInput} shows by default. */
export const QUOTE_LIMIT = 200;

/**
 * A value the user gave, quoted for an error message: JSON-quoted (control characters escaped), and cut after
 * `limit` characters with how many more there were, so a 100 KB input makes a short message.
 */
export function quoteInput(value: string, limit = QUOTE_LIMIT): string {
  if (value.length <= limit) return JSON.stringify(value);
  // Never half of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(value.charAt(limit - 1)) ? limit - 1 : limit;
  return `${JSON.stringify(value.slice(0, end))}…(${value.length - end} more)`;
}
