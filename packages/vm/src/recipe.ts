/** The Debian packages of every VM's root: an init, device nodes named as distributions expect, modules, network. */
export const ROOT_PACKAGES = ["systemd-sysv", "udev", "kmod", "iproute2"] as const;

/** Added with `--docker`. */
export const DOCKER_PACKAGES = ["docker.io", "ca-certificates"] as const;
