import { QusError, resolvePlatforms } from "@qus/core";
import { alignRows, canonicalPlatform, formatCommand, printable } from "@qus/core/toolkit";
import type { Command, OptionSpec, Values } from "../command.js";
import { exitCodeWhen } from "../exit-codes.js";
import { text } from "../values.js";

declare const QUS_VERSION: string | undefined;

const json: OptionSpec = { type: "boolean", help: "print the result as JSON" };
const platforms: OptionSpec = {
  type: "string",
  multiple: true,
  value: "LIST",
  help: "platforms every node must run, comma separated, or all (default all)",
};
const startupTaint: OptionSpec = {
  type: "string",
  value: "KEY",
  help: "a taint the nodes start with (kubelet --register-with-taints), lifted once the node proved every platform",
};
const platformList = (values: Values) => resolvePlatforms(text(values, "platforms") ?? "all").map(canonicalPlatform);

/** Options that shape the installing DaemonSet only. */
const INSTALL_ONLY = ["label-nodes", "startup-taint", "replace", "interval", "labeller-image"] as const;

/** `qus k8s manifest --uninstall`: the DaemonSet that takes qus off every node, and the steps around it. */
async function uninstallManifest(v: Values) {
  const given = INSTALL_ONLY.filter((name) => v[name] !== undefined && v[name] !== false);
  if (given.length > 0) {
    throw new QusError("QUS_USAGE", `--uninstall does not take --${given.join(", --")}`, {
      hint: "give --uninstall the --platforms, --namespace and --image of the install, nothing else",
    });
  }
  const { renderManifest, UNINSTALL_NAME, uninstallManifest: objectsOf } = await import("@qus/k8s");
  const namespace = text(v, "namespace") ?? "kube-system";
  const objects = objectsOf({ platforms: text(v, "platforms"), namespace, image: text(v, "image") });
  const header = [
    "qus: removes the entries qus registered, on every node. First delete the install (kubectl delete -f INSTALL-FILE),",
    "then: kubectl apply -f FILE",
    `      ${formatCommand(["kubectl", "-n", namespace, "rollout", "status", `daemonset/${UNINSTALL_NAME}`])}`,
    "      kubectl delete -f FILE",
  ].join("\n");
  return { text: renderManifest(objects, header), json: objects };
}

/** `qus k8s ...`: emulation on every node of a Kubernetes cluster (@qus/k8s, loaded by these commands only). */
export const K8S_COMMANDS: readonly Command[] = [
  {
    name: "k8s manifest",
    summary: "print a DaemonSet that registers QEMU on every node, proves it per node and keeps it so",
    usage:
      "qus k8s manifest [--platforms LIST] [--namespace NS] [--image REF] [--label-nodes] [--startup-taint KEY] [--replace] [--interval SECS] [--uninstall] [--json]",
    options: {
      platforms,
      namespace: { type: "string", value: "NS", help: "namespace of the DaemonSet (default kube-system)" },
      image: {
        type: "string",
        value: "REF",
        help: "qus's installer image as the nodes pull it (build it with qus image build, push it to your registry)",
      },
      "label-nodes": {
        type: "boolean",
        help: "label each node with the platforms it proved (qus.dev/arm64=proven), with a ServiceAccount and RBAC",
      },
      "startup-taint": startupTaint,
      replace: {
        type: "boolean",
        help: "take over qemu-<cpu> entries of other installers (a distribution's package) that do not run in containers",
      },
      interval: { type: "string", value: "SECS", help: "seconds between the keeper's re-checks (default 60)" },
      "labeller-image": {
        type: "string",
        value: "REF",
        help: "Node.js image the labeller runs @qus/cli in (default node:24-alpine)",
      },
      uninstall: {
        type: "boolean",
        help: "print instead a DaemonSet that removes qus's entries from every node (apply it after deleting the install)",
      },
      json: { type: "boolean", help: "print the objects as a JSON array instead of YAML" },
    },
    needsPlatforms: false,
    run: async (v) => {
      if (v.uninstall === true) return uninstallManifest(v);
      const { daemonSetManifest, renderManifest } = await import("@qus/k8s");
      const interval = text(v, "interval");
      if (interval !== undefined && !/^\d+$/.test(interval)) {
        throw new QusError("QUS_USAGE", `--interval ${JSON.stringify(interval)} is not a whole number of seconds`, {
          hint: "e.g. --interval 60",
        });
      }
      const objects = daemonSetManifest({
        platforms: text(v, "platforms"),
        namespace: text(v, "namespace"),
        image: text(v, "image"),
        labelNodes: v["label-nodes"] === true,
        startupTaint: text(v, "startup-taint"),
        replace: v.replace === true,
        intervalSeconds: interval === undefined ? undefined : Number(interval),
        labellerImage: text(v, "labeller-image"),
        cliVersion: typeof QUS_VERSION === "string" ? QUS_VERSION : undefined,
      });
      const header = [
        "qus: QEMU user-mode emulation on every node, proven per node and kept so.",
        "Apply with: kubectl apply -f FILE   Check with: qus k8s status",
      ].join("\n");
      return { text: renderManifest(objects, header), json: objects };
    },
  },
  {
    name: "k8s status",
    summary: "list, per node, the platforms it proved and when (from the labeller's annotations)",
    usage: "qus k8s status [--platforms LIST] [--startup-taint KEY] [--json]",
    options: { platforms, "startup-taint": startupTaint, json },
    needsPlatforms: false,
    run: async (v) => {
      const { clusterStatus } = await import("@qus/k8s");
      const nodes = await clusterStatus({ platforms: platformList(v), startupTaint: text(v, "startup-taint") });
      // Each cell is the API server's (a node's fields, its annotations): escaped, so none can break the table.
      const rows = [
        ["node", "arch", "proven", "at", "missing", "taint"],
        ...nodes.map((node) =>
          [
            node.node,
            node.architecture ?? "?",
            node.proven.join(",") || "-",
            node.provenAt ?? "-",
            node.missing.join(",") || "-",
            node.tainted ? "still on" : "-",
          ].map(printable),
        ),
      ];
      const lines = alignRows(rows);
      const bad = nodes.filter((node) => !node.ok).length;
      lines.push(
        nodes.length === 0
          ? "k8s status: the cluster lists no nodes"
          : bad === 0
            ? `k8s status: all ${nodes.length} nodes proved every platform`
            : `k8s status: ${bad} of ${nodes.length} nodes have not proved every platform (is the DaemonSet applied? ${formatCommand(["kubectl", "get", "daemonset", "-A", "-l", "app.kubernetes.io/name=qus-binfmt"])})`,
      );
      return {
        text: `${lines.join("\n")}\n`,
        json: nodes,
        exitCode: exitCodeWhen(bad === 0 && nodes.length > 0),
      };
    },
  },
  {
    name: "k8s label-node",
    summary: "label a node with what qus-binfmt --keep proved there and lift its startup taint (the labeller)",
    usage: "qus k8s label-node --proven-file FILE [--node NAME] [--platforms LIST] [--startup-taint KEY] [--watch]",
    options: {
      node: { type: "string", value: "NAME", help: "the node (default: $NODE_NAME, set by the DaemonSet)" },
      "proven-file": { type: "string", value: "FILE", help: "what the keeper wrote (/run/qus/proven in the pod)" },
      platforms,
      "startup-taint": startupTaint,
      "no-labels": { type: "boolean", help: "write the annotations and lift the taint, but no per-platform labels" },
      watch: { type: "boolean", help: "keep doing it every 10 seconds until stopped" },
      json,
    },
    needsPlatforms: false,
    run: async (v) => {
      const { labelNode, watchNode } = await import("@qus/k8s");
      const node = text(v, "node") ?? process.env.NODE_NAME;
      const provenFile = text(v, "proven-file");
      if (!node || !provenFile) {
        throw new QusError(
          "QUS_USAGE",
          `qus k8s label-node needs ${node ? "" : "--node NAME (or NODE_NAME) "}${provenFile ? "" : "--proven-file FILE"}`.trim(),
          {
            hint: "in the DaemonSet both are set; by hand: qus k8s label-node --node NAME --proven-file FILE",
          },
        );
      }
      const options = {
        node,
        provenFile,
        platforms: platformList(v),
        startupTaint: text(v, "startup-taint"),
        labels: v["no-labels"] !== true,
      };
      if (v.watch === true) {
        const controller = new AbortController();
        for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => controller.abort());
        await watchNode({ ...options, intervalMs: 10_000, signal: controller.signal }, (line) =>
          process.stdout.write(`${line}\n`),
        );
        return { text: "", json: { node, stopped: true } };
      }
      const outcome = await labelNode(options);
      const line = outcome.patched
        ? `${node}: proven ${outcome.proven.join(",") || "nothing"}${outcome.missing.length ? `; missing ${outcome.missing.join(",")}` : ""}${outcome.taintRemoved ? `; removed taint ${options.startupTaint}` : ""}`
        : `${node}: ${provenFile} holds no proof yet: nothing changed`;
      return {
        text: `${printable(line)}\n`,
        json: outcome,
        exitCode: exitCodeWhen(outcome.missing.length === 0),
      };
    },
  },
];
