import { QusError, resolvePlatforms } from "@qus/core";
import { canonicalPlatform, defaultInstallerImage, isImageReference, quoteInput } from "@qus/core/toolkit";

/** Options of {@link daemonSetManifest}. */
export interface ManifestOptions {
  /** Platforms every node must run, as users write them; `all` by default. */
  readonly platforms?: string;
  /** Namespace of the DaemonSet (and its ServiceAccount); `kube-system` by default. */
  readonly namespace?: string;
  /**
   * qus's installer image as the nodes pull it: `QUS_IMAGE` from the environment, else core's default
   * (`ghcr.io/qus/qus-binfmt:<version>`, QUS_IMAGE in @qus/core); `qus image build` and a push for your own registry.
   */
  readonly image?: string;
  /** Label each node with the platforms it proved (needs the labeller's ServiceAccount and RBAC). */
  readonly labelNodes?: boolean;
  /** A taint key that nodes start with (`--register-with-taints`); removed once the node proved every platform. */
  readonly startupTaint?: string;
  /** Take over `qemu-<cpu>` entries of other installers (a distribution's package) that do not run in containers. */
  readonly replace?: boolean;
  /** Seconds between re-checks of the keeper (entries that vanish come back); 60 by default. */
  readonly intervalSeconds?: number;
  /** Image of the labeller container: Node.js, which runs `@qus/cli k8s label-node`; node:24-alpine by default. */
  readonly labellerImage?: string;
  /** The @qus/cli version the labeller runs; qus's own version by default. */
  readonly cliVersion?: string;
}

/** A Kubernetes object as plain data: what `kubectl apply` reads. */
export type KubeObject = { readonly apiVersion: string; readonly kind: string } & Record<string, unknown>;

/** Name of every object the manifest creates, and the `app.kubernetes.io/name` label of its pods. */
export const APP_NAME = "qus-binfmt";
/** Label prefix of the node labels and annotations the labeller writes. */
export const LABEL_PREFIX = "qus.dev";
/** Where the keeper writes what it proved and the labeller reads it (an emptyDir shared by both). */
export const PROVEN_DIR = "/run/qus";
/** Where the host's binfmt_misc folder is mounted in the installer's containers (to trigger an automount). */
export const HOST_BINFMT = "/host/binfmt_misc";
const INSTALLER = "/usr/bin/qus-binfmt";

/** A DNS-1123 label, as Kubernetes wants for names and namespaces. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label key: an optional DNS subdomain prefix and a name (kubernetes.io/arch, qus.dev/not-ready). */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The objects that make every node of a cluster run the platforms, proven and kept so: a DaemonSet whose init
 * container registers QEMU (F flag, from the image) after triggering the host's binfmt_misc automount, and proves each
 * platform with qus's probes in the image (no foreign image is pulled); a keeper container that re-registers what
 * disappears and whose readiness probe re-proves every platform; and, with `labelNodes` or `startupTaint`, a
 * labeller that labels the node with what it proved and lifts the startup taint, with its ServiceAccount and RBAC.
 */
export function daemonSetManifest(options: ManifestOptions = {}): KubeObject[] {
  const { namespace, interval } = checkedOptions(options);
  const labels = { "app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/part-of": "qus" };
  const shape: PodShape = {
    image: options.image ?? defaultInstallerImage(),
    list: resolvePlatforms(options.platforms ?? "all")
      .map(canonicalPlatform)
      .join(","),
    installerArgs: ["--host-binfmt", HOST_BINFMT, ...(options.replace === true ? ["--replace"] : [])],
    labeller: options.labelNodes === true || options.startupTaint !== undefined,
  };
  const containers = [keeperContainer(shape, interval), ...(shape.labeller ? [labellerContainer(shape, options)] : [])];
  const objects: KubeObject[] = [];
  if (namespace !== "kube-system" && namespace !== "default") objects.push(namespaceOf(namespace, labels));
  if (shape.labeller) objects.push(...labellerRbac(namespace, labels));
  objects.push(daemonSetOf(shape, { name: APP_NAME, namespace, labels }, containers));
  return objects;
}

/** What the pod's parts share: the installer image, the platforms' list, the installer's flags, a labeller or not. */
export interface PodShape {
  readonly image: string;
  readonly list: string;
  readonly installerArgs: readonly string[];
  readonly labeller: boolean;
  /** The init container's name and arguments, when it does other than register (`--uninstall`). */
  readonly initName?: string;
  readonly initArgs?: readonly string[];
}

/** The options checked before anything is made: bad input is QUS_USAGE naming the option. */
export function checkedOptions(options: ManifestOptions): { namespace: string; interval: number } {
  const namespace = options.namespace ?? "kube-system";
  if (!DNS_LABEL.test(namespace)) {
    throw new QusError("QUS_USAGE", `--namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name`, {
      hint: "use lower-case letters, digits and '-', at most 63 characters, e.g. --namespace qus-system",
    });
  }
  if (options.startupTaint !== undefined && !LABEL_KEY.test(options.startupTaint)) {
    throw new QusError("QUS_USAGE", `--startup-taint ${JSON.stringify(options.startupTaint)} is not a taint key`, {
      hint: "give the key the nodes register with, e.g. --startup-taint qus.dev/emulation-not-ready",
    });
  }
  checkImage("--image", options.image, "registry.example.com:5000/qus/qus-binfmt:v1");
  checkImage("--labeller-image", options.labellerImage, "node:24-alpine");
  const interval = options.intervalSeconds ?? 60;
  if (!Number.isInteger(interval) || interval < 1 || interval > 86_400) {
    throw new QusError("QUS_USAGE", `--interval ${interval} is not a whole number of seconds from 1 to 86400`, {
      hint: "e.g. --interval 60",
    });
  }
  return { namespace, interval };
}

// Least privilege that mounts binfmt_misc and registers in it (CAP_SYS_ADMIN, AppArmor and seccomp lifted), and
// runs the probes chrooted (CAP_SYS_CHROOT), where an exec format error is told from everything else.
const INSTALLER_SECURITY = {
  runAsUser: 0,
  capabilities: { add: ["SYS_ADMIN", "SYS_CHROOT"], drop: ["ALL"] },
  appArmorProfile: { type: "Unconfined" },
  seccompProfile: { type: "Unconfined" },
};
// Binding the host's binfmt_misc folder into the pod triggers a systemd automount there (the kernel follows
// automounts when it binds a path), so systemd-binfmt has run before anything is registered; the installer
// touches it too. Read-only: registrations go through the container's own mount of the same kernel table.
const HOST_BINFMT_MOUNT = { name: "host-binfmt", mountPath: HOST_BINFMT, readOnly: true };
const PROVEN_MOUNT = { name: "proven", mountPath: PROVEN_DIR };

/** The container that re-registers what disappears, its readiness probe proving every platform again. */
function keeperContainer(shape: PodShape, interval: number): Record<string, unknown> {
  return {
    name: "keep",
    image: shape.image,
    args: ["--keep", shape.list, "--interval", String(interval), ...shape.installerArgs],
    securityContext: INSTALLER_SECURITY,
    readinessProbe: {
      exec: { command: [INSTALLER, "--check", shape.list] },
      periodSeconds: 30,
      timeoutSeconds: 25,
      failureThreshold: 1,
    },
    // The probes run four at a time, each a QEMU start: room for them under the limit.
    resources: { requests: { cpu: "5m", memory: "16Mi" }, limits: { memory: "256Mi" } },
    volumeMounts: [HOST_BINFMT_MOUNT, PROVEN_MOUNT],
  };
}

/** The container that labels its node with what the keeper proved and lifts the startup taint. */
function labellerContainer(shape: PodShape, options: ManifestOptions): Record<string, unknown> {
  const command = [
    "npx",
    "--yes",
    `@qus/cli@${options.cliVersion ?? "0.1.0"}`,
    "k8s",
    "label-node",
    "--proven-file",
    `${PROVEN_DIR}/proven`,
    "--platforms",
    shape.list,
    "--watch",
    ...(options.labelNodes === true ? [] : ["--no-labels"]),
    ...(options.startupTaint !== undefined ? ["--startup-taint", options.startupTaint] : []),
  ];
  return {
    name: "label",
    image: options.labellerImage ?? "node:24-alpine",
    command,
    env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
    securityContext: { runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "5m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    volumeMounts: [{ ...PROVEN_MOUNT, readOnly: true }],
  };
}

/**
 * A namespace qus creates: Pod Security Admission's `privileged` level, since its pods need CAP_SYS_ADMIN, which
 * `baseline` (many clusters' default) rejects.
 */
export function namespaceOf(namespace: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: { ...labels, "pod-security.kubernetes.io/enforce": "privileged" } },
  };
}

/** The DaemonSet: the registering init container, then `containers`, on every node. */
export function daemonSetOf(
  shape: PodShape,
  metadata: { name: string; namespace: string; labels: Record<string, string> },
  containers: readonly Record<string, unknown>[],
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata,
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": metadata.labels["app.kubernetes.io/name"] } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
      template: {
        metadata: { labels: metadata.labels },
        spec: {
          // Before any job: a node-critical pod that tolerates every taint, the startup taint included.
          priorityClassName: "system-node-critical",
          // Every taint is tolerated, so the OS must be chosen: binfmt_misc is Linux's, a Windows node has none.
          nodeSelector: { "kubernetes.io/os": "linux" },
          tolerations: [{ operator: "Exists" }],
          ...(shape.labeller ? { serviceAccountName: APP_NAME } : { automountServiceAccountToken: false }),
          initContainers: [
            {
              name: shape.initName ?? "register",
              image: shape.image,
              args: shape.initArgs ?? ["--install", shape.list, ...shape.installerArgs],
              securityContext: INSTALLER_SECURITY,
              volumeMounts: [HOST_BINFMT_MOUNT],
            },
          ],
          containers,
          volumes: [
            { name: "host-binfmt", hostPath: { path: "/proc/sys/fs/binfmt_misc" } },
            { name: "proven", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
          ],
        },
      },
    },
  };
}

/** Docker's bound on an image's name (distribution/reference's NameTotalLengthMax), its tag and digest not counted. */
const IMAGE_NAME_MAX = 255;

/** An image the nodes pull must be a reference a container runtime takes: checked as docker checks it. */
function checkImage(option: string, image: string | undefined, example: string): void {
  if (image === undefined) return;
  const name = image.replace(/@.*$/, "").replace(/:[\w][\w.-]*$/, "");
  const tooLong = name.length > IMAGE_NAME_MAX;
  if (tooLong || !isImageReference(image)) {
    const why = tooLong ? `: its name is longer than ${IMAGE_NAME_MAX} characters` : "";
    throw new QusError("QUS_USAGE", `${option} ${quoteInput(image)} is not a container image reference${why}`, {
      hint: `e.g. ${option} ${example}: [registry[:port]/]path[:tag][@sha256:digest], the path in lower case, no spaces`,
    });
  }
}

/** The labeller's ServiceAccount, and a ClusterRole that may read and patch nodes (labels, annotations, taints). */
function labellerRbac(namespace: string, labels: Record<string, string>): KubeObject[] {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: APP_NAME, namespace, labels } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: APP_NAME, labels },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: APP_NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: APP_NAME },
      subjects: [{ kind: "ServiceAccount", name: APP_NAME, namespace }],
    },
  ];
}
