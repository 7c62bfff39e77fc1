import { resolvePlatforms } from "@qus/core";
import { canonicalPlatform, defaultInstallerImage } from "@qus/core/toolkit";
import {
  APP_NAME,
  checkedOptions,
  daemonSetOf,
  HOST_BINFMT,
  type KubeObject,
  type ManifestOptions,
} from "./manifest.js";

/** Name of the DaemonSet that removes what qus registered, and the `app.kubernetes.io/name` label of its pods. */
export const UNINSTALL_NAME = `${APP_NAME}-uninstall`;

/**
 * The objects that take qus off every node: a DaemonSet whose init container removes the entries qus's installer
 * registered (with `all`, only those whose interpreter is the image's own; named platforms are removed whoever
 * registered them, as the user asked), then idles so `kubectl rollout status` can tell when every node is done.
 * Applied after the installing DaemonSet was deleted (its keeper would register them again), deleted once rolled out.
 */
export function uninstallManifest(
  options: Pick<ManifestOptions, "platforms" | "namespace" | "image"> = {},
): KubeObject[] {
  const { namespace } = checkedOptions(options);
  const list =
    options.platforms === undefined || options.platforms === "all"
      ? "all"
      : resolvePlatforms(options.platforms).map(canonicalPlatform).join(",");
  const labels = { "app.kubernetes.io/name": UNINSTALL_NAME, "app.kubernetes.io/part-of": "qus" };
  const image = options.image ?? defaultInstallerImage();
  const idle = {
    name: "done",
    image,
    command: ["/bin/busybox", "sleep", "2147483647"],
    securityContext: { runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "1m", memory: "4Mi" }, limits: { memory: "16Mi" } },
  };
  const shape = {
    image,
    list,
    installerArgs: [],
    labeller: false,
    initName: "remove",
    initArgs: ["--uninstall", list, "--host-binfmt", HOST_BINFMT],
  };
  return [daemonSetOf(shape, { name: UNINSTALL_NAME, namespace, labels }, [idle])];
}
