import { printable } from "@qus/core/toolkit";

// C1 controls (a CSI some terminals obey), and the line separators and bidi controls JSON.stringify leaves raw.
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for the terminal, line by line as core's {@link printable} shows it: what other programs said (an engine's
 * stderr in an error, buildx's output in a report) is shown escaped, and no escape sequence in it is obeyed.
 */
export function terminalText(text: string): string {
  return text.split("\n").map(printable).join("\n");
}

/** JSON for the terminal: the same document, with the characters JSON.stringify leaves raw written as `\uNNNN`. */
export function terminalJson(json: string): string {
  return json.replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
