const BLOCK = 512;
/** Most bytes of one pax or long-name header kept in memory: a real one holds a few names and attributes. */
const HEADER_LIMIT = 2 ** 20;

/** One member of a tar stream, as its headers name it (pax and GNU long names applied). */
export interface TarHeader {
  /** The member's path without a leading `./` or `/` and without a trailing `/`. */
  readonly path: string;
  /** The type flag: `0` file, `1` hard link, `2` symlink, `3`/`4` devices, `5` directory, `6` FIFO. */
  readonly type: string;
  /** Bytes of data after the header (without padding). */
  readonly size: number;
  /** Every block of the member before its data: pax or GNU long-name headers, then its own header. */
  readonly raw: Buffer;
  /** A link's target (hard links: a path in the archive). */
  readonly linkpath: string;
  /** The pax records that applied to it (`SCHILY.xattr.*`, `mtime`, ...). */
  readonly pax: Readonly<Record<string, string>>;
  /** Modification time in seconds, fractional when pax says so. */
  readonly mtime: number;
}

/** What a {@link TarParser} tells its user, in stream order. */
export interface TarEvents {
  /** A member starts; its data follows through `data` (padded to whole blocks). */
  member(header: TarHeader): void;
  /** Bytes of the current member's data and padding. */
  data(chunk: Buffer): void;
  /** The end-of-archive blocks (and anything after them) were reached. */
  end(): void;
}

/**
 * An incremental tar reader: ustar, pax extended headers (`x`) and GNU long names (`L`, `K`), the formats
 * `docker export` and `docker save` write. It hands out each member's raw header blocks, so a filter can pass a
 * member on byte for byte or drop it, without holding any member's data.
 */
export class TarParser {
  private pending = Buffer.alloc(0);
  private dataLeft = 0;
  private prefixBlocks: Buffer[] = [];
  private extended: Record<string, string> = {};
  private collecting: { kind: "x" | "L" | "K"; left: number; chunks: Buffer[] } | undefined;
  private ended = false;

  constructor(private readonly events: TarEvents) {}

  /** Feeds the next bytes of the stream. */
  push(chunk: Buffer): void {
    let input = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (input.length > 0 && !this.ended) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, input.length);
        this.consumeData(input.subarray(0, take));
        this.dataLeft -= take;
        input = input.subarray(take);
        if (this.dataLeft === 0) this.finishData();
        continue;
      }
      if (input.length < BLOCK) {
        this.pending = Buffer.from(input);
        return;
      }
      this.header(input.subarray(0, BLOCK));
      input = input.subarray(BLOCK);
    }
  }

  private consumeData(chunk: Buffer): void {
    if (this.collecting) this.collecting.chunks.push(chunk);
    else this.events.data(chunk);
  }

  private finishData(): void {
    const collected = this.collecting;
    if (!collected) return;
    this.collecting = undefined;
    const body = Buffer.concat(collected.chunks);
    this.prefixBlocks.push(body);
    const text = body.subarray(0, collected.left).toString("utf8");
    if (collected.kind === "x") Object.assign(this.extended, parsePax(text));
    else this.extended[collected.kind === "L" ? "path" : "linkpath"] = text.replace(/\0.*$/s, "");
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.ended = true;
      this.events.end();
      return;
    }
    if (!checksumMatches(block)) throw new Error("not a tar stream (a header's checksum does not match)");
    const type = String.fromCharCode(block[156] || 0x30);
    const ownSize = readNumber(block.subarray(124, 136));
    if (type === "x" || type === "L" || type === "K") {
      const size = ownSize;
      if (size > HEADER_LIMIT) throw new Error(`a ${type} header of ${size} bytes`);
      this.prefixBlocks.push(Buffer.from(block));
      this.collecting = { kind: type, left: size, chunks: [] };
      this.dataLeft = padded(size);
      if (this.dataLeft === 0) this.finishData();
      return;
    }
    const size = Number(this.extended.size ?? ownSize);
    if (type === "g") {
      // A global pax header applies to the archive, not one member: passed on as a member of its own.
      this.events.member({ path: "", type, size, raw: Buffer.from(block), linkpath: "", pax: {}, mtime: 0 });
      this.dataLeft = padded(size);
      return;
    }
    const raw = Buffer.concat([...this.prefixBlocks, block]);
    const pax = this.extended;
    const path = normalPath(pax.path ?? ustarName(block));
    const linkpath = pax.linkpath ?? cString(block.subarray(157, 257));
    const mtime = Number(pax.mtime ?? readNumber(block.subarray(136, 148)));
    this.prefixBlocks = [];
    this.extended = {};
    this.events.member({ path, type, size: hasData(type) ? size : 0, raw, linkpath, pax, mtime });
    this.dataLeft = hasData(type) ? padded(size) : 0;
  }
}

/** `./etc/hosts`, `/etc/hosts`, `etc/hosts/` → `etc/hosts`; the root itself → `.`. */
export function normalPath(path: string): string {
  const trimmed = path.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
  return trimmed === "" || trimmed === "." ? "." : trimmed;
}

/** Whole blocks for `size` bytes of data. */
export const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/** Links, devices, directories and FIFOs carry no data, whatever their size field says. */
const hasData = (type: string) => !"123456".includes(type);

function ustarName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  const magic = block.subarray(257, 262).toString("latin1");
  const prefix = magic === "ustar" ? cString(block.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("utf8");
}

/** An octal field, or GNU's base-256 form (high bit of the first byte set) for large values. */
function readNumber(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = cString(field).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function checksumMatches(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return readNumber(block.subarray(148, 156)) === sum;
}

/** Records of a pax extended header: `LEN key=value\n` each. */
function parsePax(text: string): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(" ", at);
    const length = Number.parseInt(text.slice(at, space), 10);
    if (space < 0 || !Number.isFinite(length) || length <= 0) break;
    const record = Buffer.from(text.slice(at), "utf8").subarray(0, length).toString("utf8");
    const body = record.slice(space - at + 1, record.endsWith("\n") ? -1 : undefined);
    const equals = body.indexOf("=");
    if (equals > 0) records[body.slice(0, equals)] = body.slice(equals + 1);
    at += record.length;
  }
  return records;
}
