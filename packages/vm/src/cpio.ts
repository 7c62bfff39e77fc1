/**
 * A minimal writer of the cpio "newc" format the kernel unpacks an initramfs from: folders, regular files and
 * symbolic links, owned by root, at the epoch, so the same members give the same bytes.
 */

/** One member of an initramfs. */
export type CpioMember =
  | { readonly path: string; readonly type: "dir"; readonly mode: number }
  | { readonly path: string; readonly type: "file"; readonly mode: number; readonly data: Uint8Array }
  | { readonly path: string; readonly type: "symlink"; readonly target: string };

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const;

/** The archive of the members in their order, ended by the `TRAILER!!!` record. */
export function cpioOf(members: readonly CpioMember[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (buffer: Buffer) => {
    parts.push(buffer);
    offset += buffer.length;
  };
  const pad = () => {
    if (offset % 4) push(Buffer.alloc(4 - (offset % 4)));
  };
  members.forEach((member, index) => {
    const data =
      member.type === "file"
        ? Buffer.from(member.data)
        : member.type === "symlink"
          ? Buffer.from(member.target)
          : Buffer.alloc(0);
    const mode = TYPE_BITS[member.type] | (member.type === "symlink" ? 0o777 : member.mode & 0o7777);
    push(header(index + 1, mode, member.type === "dir" ? 2 : 1, data.length, member.path));
    pad();
    push(data);
    pad();
  });
  push(header(0, 0, 1, 0, "TRAILER!!!"));
  pad();
  return Buffer.concat(parts);
}

function header(inode: number, mode: number, links: number, size: number, path: string): Buffer {
  const name = Buffer.from(`${path.replace(/^\/+/, "")}\0`);
  const fields = [inode, mode, 0, 0, links, 0, size, 0, 0, 0, 0, name.length, 0];
  const text = `070701${fields.map((field) => field.toString(16).padStart(8, "0")).join("")}`;
  return Buffer.concat([Buffer.from(text, "ascii"), name]);
}
