import { stringify } from "yaml";
import type { KubeObject } from "./manifest.js";

/** The objects as one YAML stream for `kubectl apply -f -`, documents separated by `---`. */
export function renderManifest(objects: readonly KubeObject[], header?: string): string {
  const comment = header ? `${header.replace(/^/gm, "# ")}\n` : "";
  return (
    comment + objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n")
  );
}
