import { DaemonSet } from "kubernetes-models/apps/v1";
import { Namespace } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { daemonSetManifest, type KubeObject } from "./manifest.js";
import { renderManifest } from "./render.js";
import { UNINSTALL_NAME, uninstallManifest } from "./uninstall-manifest.js";

// Offline: objects checked against Kubernetes' own OpenAPI schemas (kubernetes-models); no cluster runs here.
type PodSpec = {
  nodeSelector?: Record<string, string>;
  initContainers: { name: string; args: string[] }[];
  containers: { name: string; command?: string[]; securityContext: Record<string, unknown> }[];
};
const podOf = (object: KubeObject | undefined): PodSpec =>
  (object as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;

describe("qus k8s manifest: what a cluster that is not a single Linux test node needs", () => {
  it("plain YAML: no anchors or aliases, whatever the objects share", () => {
    const yaml = renderManifest(daemonSetManifest({ labelNodes: true, namespace: "qus-system" }));
    expect(yaml).not.toMatch(/[&*]a\d+\b/);
    expect(yaml).toMatch(/securityContext:\n\s+runAsUser: 0/);
  });

  it("pods go to Linux nodes only, since they tolerate every taint", () => {
    expect(podOf(daemonSetManifest().find((o) => o.kind === "DaemonSet")).nodeSelector).toEqual({
      "kubernetes.io/os": "linux",
    });
  });

  it("a namespace it creates allows its privileged pods (Pod Security Admission), and validates", () => {
    const namespace = daemonSetManifest({ namespace: "qus-system" }).find((o) => o.kind === "Namespace");
    expect((namespace as KubeObject).metadata).toMatchObject({
      labels: { "pod-security.kubernetes.io/enforce": "privileged" },
    });
    new Namespace(namespace as never).validate();
  });
});

describe("qus k8s manifest --uninstall", () => {
  it("one valid DaemonSet that removes qus's own entries on every Linux node, then idles unprivileged", () => {
    const [daemonSet, ...rest] = uninstallManifest();
    expect(rest).toEqual([]);
    new DaemonSet(daemonSet as never).validate();
    expect((daemonSet as KubeObject).metadata).toMatchObject({ name: UNINSTALL_NAME, namespace: "kube-system" });
    const pod = podOf(daemonSet);
    expect(pod.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(pod.initContainers[0]).toMatchObject({
      name: "remove",
      args: ["--uninstall", "all", "--host-binfmt", "/host/binfmt_misc"],
    });
    expect(pod.containers[0]?.command).toEqual(["/bin/busybox", "sleep", "2147483647"]);
    expect(pod.containers[0]?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("named platforms are removed as named; a bad namespace is refused as for the install", () => {
    const pod = podOf(
      uninstallManifest({ platforms: "arm64,riscv64", namespace: "qus-system", image: "r.example/qus:1" })[0],
    );
    expect(pod.initContainers[0]?.args.slice(0, 2)).toEqual(["--uninstall", "linux/arm64,linux/riscv64"]);
    expect(() => uninstallManifest({ namespace: "Not_A_Name" })).toThrow(/--namespace/);
  });
});
