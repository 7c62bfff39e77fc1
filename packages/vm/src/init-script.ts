/**
 * The `/init` of qus's initrd, for busybox's shell. It loads the virtio drivers listed in /etc/qus-modules, mounts
 * the disk, then either boots it (`qus.mode=boot`: hands over to the disk's /sbin/init) or runs one command on it as
 * its only process (`qus.mode=run`, the command in `qus.argv` as comma-separated words, each `w` and its base64) and powers off.
 * The command's output sits between two marker lines on the console, so the kernel's own lines cannot mix in. Before
 * the exit marker, every other guest process is killed and gone: no process left behind by the command can print a
 * marker after it, so the last one on the console is /init's.
 */
export const RUN_BEGIN = "QUS-RUN-BEGIN";
/**
 * The version of how the host and this /init talk (qus.argv's encoding, the markers): written into each manifest,
 * so `qus vm run` refuses a disk whose initrd speaks another one instead of running a garbled command.
 */
export const INIT_PROTOCOL = 3;
export const RUN_EXIT = "QUS-RUN-EXIT:";

/**
 * `end_others`, for /init as pid 1: kills every other process and waits (at most 5 s) until none runs a program any
 * more (kernel threads and zombies have an empty cmdline), so nothing the command left behind can print after it.
 */
export const END_OTHERS = `others_alive() {
  for p in /proc/[0-9]*; do
    [ "\${p#/proc/}" = 1 ] && continue
    cmd=
    # Grouped: a process that ended meanwhile makes the redirection itself fail, and that must print nothing.
    { read -r cmd < "$p/cmdline"; } 2>/dev/null
    [ -n "$cmd" ] && return 0
  done
  return 1
}
end_others() {
  tries=0
  while [ $tries -lt 50 ]; do
    kill -9 -1 2>/dev/null
    others_alive || return 0
    sleep 0.1
    tries=$((tries + 1))
  done
}
`;

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "qus-init: $*"; sync; poweroff -f; }
${END_OTHERS}for module in $(cat /etc/qus-modules); do
  insmod "/lib/modules/$module" || echo "qus-init: cannot load $module"
done
root=/dev/vda mode=boot argv=
for word in $(cat /proc/cmdline); do
  case "$word" in
    qus.root=*) root=\${word#qus.root=} ;;
    qus.mode=*) mode=\${word#qus.mode=} ;;
    qus.argv=*) argv=\${word#qus.argv=} ;;
  esac
done
# The disk's node appears a moment after its driver has loaded.
tries=0
while [ ! -b "$root" ] && [ $tries -lt 100 ]; do sleep 0.1; tries=$((tries + 1)); done
mkdir -p /newroot
mount -o rw "$root" /newroot || fail "cannot mount $root"
if [ "$mode" = run ]; then
  set --
  IFS=,
  # Each word is "w" and its base64, so no field is empty; the x keeps $(...) from eating trailing newlines.
  for word in $argv; do
    word=$(printf %s "\${word#w}" | base64 -d; echo x)
    set -- "$@" "\${word%x}"
  done
  unset IFS
  mkdir -p /newroot/proc /newroot/sys /newroot/dev
  mount -t proc proc /newroot/proc
  mount -t sysfs sysfs /newroot/sys
  mount -t devtmpfs devtmpfs /newroot/dev
  echo ${RUN_BEGIN}
  chroot /newroot "$@" </dev/null
  status=$?
  end_others
  printf '\\n${RUN_EXIT}%d\\n' "$status"
  umount /newroot/dev /newroot/sys /newroot/proc
  mount -o remount,ro /newroot
  sync
  poweroff -f
fi
umount /proc /sys
mount -o move /dev /newroot/dev
exec switch_root /newroot /sbin/init
`;
