import { QUS_IMAGE } from "@qus/core";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { Namespace, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { daemonSetManifest, type KubeObject } from "./manifest.js";
import { renderManifest } from "./render.js";

// Offline: the objects are checked against Kubernetes' own OpenAPI schemas (kubernetes-models); no cluster runs here.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  DaemonSet,
  Namespace,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
};

function validate(objects: readonly KubeObject[]): void {
  for (const object of objects) {
    const Model = MODELS[object.kind];
    expect(Model, object.kind).toBeDefined();
    if (Model) new Model(object as never).validate();
  }
}

type Pod = {
  priorityClassName: string;
  tolerations: unknown[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  initContainers: { name: string; args: string[]; image: string; securityContext: Record<string, unknown> }[];
  containers: { name: string; args?: string[]; command?: string[]; readinessProbe?: { exec: { command: string[] } } }[];
  volumes: { name: string; hostPath?: { path: string } }[];
};
const podOf = (objects: readonly KubeObject[]): Pod =>
  (objects.find((object) => object.kind === "DaemonSet") as unknown as { spec: { template: { spec: Pod } } }).spec
    .template.spec;

describe("qus k8s manifest (validated offline against Kubernetes' schemas, no cluster)", () => {
  it("by default: one DaemonSet in kube-system, valid, registering every platform and keeping them", () => {
    const objects = daemonSetManifest();
    expect(objects.map((object) => object.kind)).toEqual(["DaemonSet"]);
    validate(objects);
    const pod = podOf(objects);
    expect(pod.priorityClassName).toBe("system-node-critical");
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.automountServiceAccountToken).toBe(false);
    const [register] = pod.initContainers;
    expect(register?.args.slice(0, 1)).toEqual(["--install"]);
    expect(register?.args[1]?.split(",")).toContain("linux/riscv64");
    expect(register?.args.slice(2)).toEqual(["--host-binfmt", "/host/binfmt_misc"]);
    expect(register?.securityContext).toMatchObject({
      capabilities: { add: ["SYS_ADMIN", "SYS_CHROOT"], drop: ["ALL"] },
    });
    expect(register?.securityContext).not.toHaveProperty("privileged");
    const keep = pod.containers.find((container) => container.name === "keep");
    expect(keep?.args?.slice(0, 1)).toEqual(["--keep"]);
    expect(keep?.readinessProbe?.exec.command.slice(0, 2)).toEqual(["/usr/bin/qus-binfmt", "--check"]);
    expect(pod.volumes.find((volume) => volume.hostPath)?.hostPath?.path).toBe("/proc/sys/fs/binfmt_misc");
  });

  it("the image: core's versioned default, QUS_IMAGE from the environment when set, never :latest", () => {
    expect(QUS_IMAGE).toMatch(/^ghcr\.io\/qus\/qus-binfmt:\d+\.\d+\.\d+/);
    vi.stubEnv("QUS_IMAGE", "");
    try {
      expect(podOf(daemonSetManifest()).initContainers[0]?.image).toBe(QUS_IMAGE);
      vi.stubEnv("QUS_IMAGE", "127.0.0.1:5000/qus/qus-binfmt:9");
      expect(podOf(daemonSetManifest()).initContainers[0]?.image).toBe("127.0.0.1:5000/qus/qus-binfmt:9");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("labels and a startup taint: a ServiceAccount, a ClusterRole on nodes and its binding, and the labeller", () => {
    const objects = daemonSetManifest({
      platforms: "linux/arm64,riscv64",
      namespace: "qus-system",
      labelNodes: true,
      startupTaint: "qus.dev/emulation-not-ready",
      image: "registry.example/qus-binfmt:7.2",
      intervalSeconds: 30,
    });
    expect(objects.map((object) => object.kind)).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "DaemonSet",
    ]);
    validate(objects);
    const pod = podOf(objects);
    expect(pod.serviceAccountName).toBe("qus-binfmt");
    expect(pod.initContainers[0]?.image).toBe("registry.example/qus-binfmt:7.2");
    expect(pod.initContainers[0]?.args[1]).toBe("linux/arm64,linux/riscv64");
    const label = pod.containers.find((container) => container.name === "label");
    expect(label?.command).toEqual(
      expect.arrayContaining(["label-node", "--startup-taint", "qus.dev/emulation-not-ready", "--watch"]),
    );
    expect(label?.command).not.toContain("--no-labels");
    const role = objects.find((object) => object.kind === "ClusterRole") as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] }]);
  });

  it("--replace reaches both installer containers; without it, other installers' entries are left alone", () => {
    const replaced = podOf(daemonSetManifest({ platforms: "arm64", replace: true }));
    expect(replaced.initContainers[0]?.args).toContain("--replace");
    expect(replaced.containers.find((container) => container.name === "keep")?.args).toContain("--replace");
    expect(podOf(daemonSetManifest({ platforms: "arm64" })).initContainers[0]?.args).not.toContain("--replace");
  });

  it("a startup taint alone lifts the taint without labelling", () => {
    const pod = podOf(daemonSetManifest({ platforms: "arm64", startupTaint: "example.com/not-ready" }));
    expect(pod.containers.find((container) => container.name === "label")?.command).toContain("--no-labels");
  });

  it("renders one YAML stream that reads back as the same objects", () => {
    const objects = daemonSetManifest({ labelNodes: true, platforms: "arm64" });
    const text = renderManifest(objects, "qus k8s manifest\nkubectl apply -f this file");
    expect(text.startsWith("# qus k8s manifest\n# kubectl apply -f this file\n")).toBe(true);
    const documents = parseAllDocuments(text).map((document) => document.toJS());
    expect(documents).toEqual(JSON.parse(JSON.stringify(objects)));
  });

  it("the schema check can fail: a DaemonSet without its selector, or with a container without an image, is refused", () => {
    const [daemonSet] = daemonSetManifest({ platforms: "arm64" }) as unknown as [{ spec: Record<string, unknown> }];
    const noSelector = { ...daemonSet, spec: { ...daemonSet.spec, selector: undefined } };
    expect(() => new DaemonSet(noSelector as never).validate()).toThrow(/selector/);
    const pod = podOf([daemonSet as unknown as KubeObject]);
    const noImage = structuredClone(daemonSet) as unknown as { spec: { template: { spec: Pod } } };
    noImage.spec.template.spec.initContainers = pod.initContainers.map(({ image: _, ...rest }) => rest) as never;
    noImage.spec.template.spec.containers = [{ name: 42 } as never];
    expect(() => new DaemonSet(noImage as never).validate()).toThrow();
  });

  it.each([
    [{ namespace: "Qus_System" }, /--namespace "Qus_System" is not a Kubernetes namespace name/],
    [{ startupTaint: "bad key!" }, /--startup-taint "bad key!" is not a taint key/],
    [{ intervalSeconds: 0 }, /--interval 0 is not a whole number/],
    [{ platforms: "linux/arm64,vax" }, /vax/],
    [{ image: "" }, /^--image "" is not a container image reference$/],
    [{ image: "qus-binfmt latest" }, /^--image "qus-binfmt latest" is not a container image reference$/],
    [{ labellerImage: "node:24\n" }, /^--labeller-image "node:24\\n" is not a container image reference$/],
    [{ image: `r.io/${"a".repeat(252)}:v1` }, /: its name is longer than 255 characters$/],
  ])("bad input %j: a clear error naming it", (options, message) => {
    expect(() => daemonSetManifest(options)).toThrow(message);
  });

  it("images: Docker's bound on a name (255), a tag and a digest beyond it; a huge value quoted short", () => {
    const image = `r.io/${"a".repeat(250)}:v1@sha256:${"0".repeat(64)}`;
    const pod = podOf(daemonSetManifest({ image, labelNodes: true, labellerImage: "localhost:5000/node" }));
    expect(pod.initContainers[0]?.image).toBe(image);
    let message = "";
    try {
      daemonSetManifest({ labellerImage: "x".repeat(100_000) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `--labeller-image "${"x".repeat(200)}"…(99800 more) is not a container image reference: its name is longer than 255 characters`,
    );
  });
});
