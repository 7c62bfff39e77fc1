import type { ContainerRuntimeClient } from "testcontainers";

/** What dockerode's modem holds of where it connects. */
interface ModemAddress {
  readonly socketPath?: string | (() => Promise<string>);
  readonly host?: string;
  readonly port?: number | string;
  readonly protocol?: string;
}

/**
 * Where Testcontainers' client goes, in words, for reports and errors: `unix:///var/run/docker.sock`,
 * `tcp://10.0.0.5:2376`. Also the key qus remembers an engine's verified platforms by.
 */
export function describeEndpoint(client: ContainerRuntimeClient): string {
  const modem = client.container.dockerode.modem as ModemAddress;
  if (typeof modem.socketPath === "string" && modem.socketPath !== "") return `unix://${modem.socketPath}`;
  if (modem.host) {
    const protocol = modem.protocol === "https" ? "tcp+tls" : modem.protocol === "ssh" ? "ssh" : "tcp";
    return `${protocol}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  }
  return `${client.info.containerRuntime.host} (${client.info.containerRuntime.remoteSocketPath})`;
}
