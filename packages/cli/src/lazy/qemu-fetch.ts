// Loaded by `qus qemu fetch` only: the fetcher (Debian's archive, signatures, downloads) is not needed at start-up.
export { fetchQemu } from "@qus/core/toolkit";
