/** Decodes a binfmt_misc `\xNN` escaped string (as in register strings and binfmt.d files) to bytes. */
export function decodeEscaped(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && text[i + 1] === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (text[i] === "\\" && text[i + 1] === "\\") {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/** Encodes bytes as `\xNN` for every byte: never contains a delimiter, newline or NUL. */
export function encodeEscaped(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += `\\x${byte.toString(16).padStart(2, "0")}`;
  return out;
}

/** Lower-case hex without separators, as the kernel prints `magic` and `mask` in an entry file. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Parses lower- or upper-case hex (spaces ignored) to bytes. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}
