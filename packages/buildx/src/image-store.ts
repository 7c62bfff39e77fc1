/**
 * Whether `docker info --format '{{json .}}'` shows the containerd image store: its storage driver reports
 * `driver-type: io.containerd.snapshotter.v1` (docker info's "Storage Driver" section). On the classic store the
 * engine's `docker`-driver builder cannot build several platforms at once ("Multi-platform build is not supported
 * for the docker driver"); on the containerd store it can (buildx's docker driver says so from the same fact, its
 * worker's snapshotter label).
 */
export function usesContainerdStore(infoJson: string): boolean {
  let info: unknown;
  try {
    info = JSON.parse(infoJson.trim() || "null");
  } catch {
    return false;
  }
  const status = typeof info === "object" && info !== null ? (info as { DriverStatus?: unknown }).DriverStatus : [];
  if (!Array.isArray(status)) return false;
  return status.some(
    (pair) =>
      Array.isArray(pair) && pair[0] === "driver-type" && String(pair[1]).startsWith("io.containerd.snapshotter"),
  );
}
