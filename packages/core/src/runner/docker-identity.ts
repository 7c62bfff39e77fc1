/** Who a docker engine is and where its client went, as `docker info --format '{{json .}}'` says. */
export interface DockerIdentity {
  /** The engine's ID: tells two names of one engine apart from two engines. */
  readonly id?: string;
  readonly serverVersion?: string;
  /** Why the client reached no server, in its words. */
  readonly serverErrors: readonly string[];
  /** The docker context the client used. */
  readonly clientContext?: string;
}

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Reads `docker info --format '{{json .}}'`; undefined when it is not a JSON object (a broken client). */
export function readDockerIdentity(json: string): DockerIdentity | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json.trim() || "null");
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const info = value as { ID?: unknown; ServerVersion?: unknown; ServerErrors?: unknown; ClientInfo?: unknown };
  const client = typeof info.ClientInfo === "object" && info.ClientInfo !== null ? info.ClientInfo : {};
  const id = text(info.ID);
  const serverVersion = text(info.ServerVersion);
  const clientContext = text((client as { Context?: unknown }).Context);
  return {
    ...(id ? { id } : {}),
    ...(serverVersion ? { serverVersion } : {}),
    serverErrors: Array.isArray(info.ServerErrors) ? info.ServerErrors.map(String) : [],
    ...(clientContext ? { clientContext } : {}),
  };
}
