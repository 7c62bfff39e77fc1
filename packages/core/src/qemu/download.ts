import { createWriteStream } from "node:fs";
import { isQusError, QusError } from "../errors.js";

/** How one file is downloaded: bounded in time and size, hashed on the way. */
export interface DownloadLimits {
  /** The whole download, headers to last byte, is aborted after this long. */
  readonly timeoutMs: number;
  /** More bytes than this is an error (the index said how large the file is). */
  readonly maxBytes: number;
  /** When given, the file's SHA256 must be this (lowercase hex). */
  readonly sha256?: string;
}

/** The HTTP client: `fetch` by default; tests pass a stand-in. */
export type Fetch = typeof fetch;

/** A URL's body to a file; returns its SHA256. A partial, oversize or mismatching file is an error. */
export async function downloadFile(
  url: string,
  file: string,
  limits: DownloadLimits,
  fetcher: Fetch = fetch,
): Promise<string> {
  // Loaded here, not at start-up: only a fetch of QEMU needs them, and every module loaded costs each `qus` run.
  const [{ createHash }, { Readable, Transform }, { pipeline }] = await Promise.all([
    import("node:crypto"),
    import("node:stream"),
    import("node:stream/promises"),
  ]);
  const hash = createHash("sha256");
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let bytes = 0;
  // Counts and hashes on the way; more than the index said stops the download.
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.byteLength;
      if (bytes > limits.maxBytes) return done(tooLarge(url, limits.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const response = await fetcher(url, { signal, redirect: "follow" });
    if (!response.ok || !response.body) throw notOk(url, response.status);
    // One pipeline: a network, size or disk failure anywhere ends it, and the time bound covers all of it.
    const body = Readable.from(response.body as unknown as AsyncIterable<Uint8Array>);
    await pipeline(body, meter, createWriteStream(file, { flags: "wx" }), { signal });
  } catch (error) {
    throw writeError(error, file) ?? asFetchError(error, url, limits.timeoutMs);
  }
  const sha256 = hash.digest("hex");
  if (limits.sha256 !== undefined && sha256 !== limits.sha256) {
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      `${url}: SHA256 ${sha256} is not the ${limits.sha256} the archive's index names (${bytes} bytes received)`,
      { hint: "the download was cut short or altered on the way; nothing was kept: try again, or another --mirror" },
    );
  }
  return sha256;
}

/** A URL's body as text, bounded like {@link downloadFile}; `undefined` for 404 (the caller says what is missing). */
export async function downloadText(
  url: string,
  limits: DownloadLimits,
  fetcher: Fetch = fetch,
): Promise<Buffer | undefined> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const response = await fetcher(url, { signal, redirect: "follow" });
    if (response.status === 404) return undefined;
    if (!response.ok || !response.body) throw notOk(url, response.status);
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > limits.maxBytes) throw tooLarge(url, limits.maxBytes);
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    if (limits.sha256 !== undefined) {
      const { createHash } = await import("node:crypto");
      const sha256 = createHash("sha256").update(body).digest("hex");
      if (sha256 !== limits.sha256) {
        throw new QusError(
          "QUS_QEMU_FETCH_FAILED",
          `${url}: SHA256 ${sha256} is not the ${limits.sha256} InRelease names`,
          {
            hint: "the index was cut short or altered on the way, or the mirror is mid-sync: try again, or another --mirror",
          },
        );
      }
    }
    return body;
  } catch (error) {
    throw asFetchError(error, url, limits.timeoutMs);
  }
}

/** A failure to write the downloaded file (disk full, folder gone, no permission): the cache's, not the network's. */
function writeError(error: unknown, file: string): QusError | undefined {
  const { code, syscall } = (error ?? {}) as { code?: string; syscall?: string };
  if (!code || !["open", "write", "close"].includes(syscall ?? "")) return undefined;
  return new QusError("QUS_QEMU_CACHE_UNWRITABLE", `cannot write ${file}: ${code}`, {
    hint: "free disk space, or point QUS_QEMU_CACHE at a folder you can write to",
    cause: error,
  });
}

function notOk(url: string, status: number): QusError {
  return new QusError("QUS_QEMU_FETCH_FAILED", `${url}: the server answered HTTP ${status}`, {
    hint: "check the mirror (--mirror URL) and the network, then try again",
  });
}

function tooLarge(url: string, max: number): QusError {
  return new QusError("QUS_QEMU_FETCH_FAILED", `${url}: more than the ${max} bytes expected; download stopped`, {
    hint: "the mirror serves something other than its index says: try again, or another --mirror",
  });
}

function asFetchError(error: unknown, url: string, timeoutMs: number): QusError {
  if (isQusError(error)) return error;
  const name = (error as Error | undefined)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new QusError("QUS_QEMU_FETCH_FAILED", `${url}: not downloaded within ${timeoutMs / 1000} s`, {
      hint: "the network or the mirror is slow: try again, or another --mirror",
      cause: error,
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  return new QusError("QUS_QEMU_FETCH_FAILED", `${url}: download failed (${detail})`, {
    hint: "check the network and the mirror (--mirror URL), then try again",
    cause: error,
  });
}
