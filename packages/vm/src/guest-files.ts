import { GUEST_DOCKER_PORT } from "./qemu-command.js";

/**
 * What qus writes into a VM's root besides Debian's packages: the network, the control service `qus vm stop`
 * powers the guest off through, and dockerd listening where QEMU forwards the host's loopback port. Paths are
 * relative to the root; a `link` is a symbolic link (how systemd enables a unit).
 */
export type GuestFile =
  | { readonly path: string; readonly content: string; readonly mode: number }
  | { readonly path: string; readonly link: string };

const CONTROL_SCRIPT = `#!/bin/sh
# qus: power the VM off when qus vm stop writes "poweroff" to the qus.ctl port.
dev=
for port in /sys/class/virtio-ports/*; do
  [ "$(cat "$port/name" 2>/dev/null)" = qus.ctl ] && dev=/dev/\${port##*/}
done
[ -n "$dev" ] || { echo "qus-control: the VM has no qus.ctl port" >&2; exit 1; }
while :; do
  if read -r line < "$dev"; then
    [ "$line" = poweroff ] && exec systemctl poweroff
  else
    sleep 1
  fi
done
`;

const CONTROL_UNIT = `[Unit]
Description=qus: power off when qus vm stop asks

[Service]
ExecStart=/usr/local/sbin/qus-control
Restart=always

[Install]
WantedBy=multi-user.target
`;

const NETWORK = `[Match]
Name=en* eth*

[Network]
DHCP=yes
`;

// QEMU forwards only 127.0.0.1 of the host to this port: the guest's API is not on the host's network.
const DOCKER_DROP_IN = `[Service]
ExecStart=
ExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:${GUEST_DOCKER_PORT} --containerd=/run/containerd/containerd.sock
`;

const wants = (target: string, unit: string, dir = "/lib/systemd/system"): GuestFile => ({
  path: `etc/systemd/system/${target}.wants/${unit}`,
  link: `${dir}/${unit}`,
});

/** The files of a VM named `name`, with dockerd's settings when the root has Docker. */
export function guestFiles(name: string, docker: boolean): GuestFile[] {
  return [
    { path: "etc/hostname", content: `${name}\n`, mode: 0o644 },
    { path: "etc/hosts", content: `127.0.0.1 localhost\n127.0.1.1 ${name}\n`, mode: 0o644 },
    { path: "etc/fstab", content: "/dev/vda / ext4 rw,errors=remount-ro 0 1\n", mode: 0o644 },
    { path: "etc/systemd/network/50-qus.network", content: NETWORK, mode: 0o644 },
    wants("multi-user.target", "systemd-networkd.service"),
    wants("sockets.target", "systemd-networkd.socket"),
    { path: "usr/local/sbin/qus-control", content: CONTROL_SCRIPT, mode: 0o755 },
    { path: "etc/systemd/system/qus-control.service", content: CONTROL_UNIT, mode: 0o644 },
    wants("multi-user.target", "qus-control.service", "/etc/systemd/system"),
    ...(docker ? [{ path: "etc/systemd/system/docker.service.d/qus.conf", content: DOCKER_DROP_IN, mode: 0o644 }] : []),
  ];
}
