// The QEMU versions qus can fetch, pin and register from: sources, Debian's archive, the cache.
export { debianMirrorOf, parseDeb822Sources, parseOneLineSources, systemDebianMirror } from "./apt-sources.js";
export { type CachedQemu, cacheFolderName, listCached, qemuCacheRoot } from "./cache.js";
export {
  DEBIAN_KEYRING,
  DEFAULT_DEBIAN_MIRROR,
  fetchQemu,
  hostDebianArch,
  type QemuFetchOptions,
  type QemuFetchResult,
} from "./fetch.js";
export { formatQemuSource, KNOWN_DEBIAN_SUITES, parseQemuSource, type QemuSource } from "./source.js";
