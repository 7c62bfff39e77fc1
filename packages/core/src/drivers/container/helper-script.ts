/**
 * The program the helper container runs (busybox sh): a constant script; everything variable arrives as separate
 * arguments `key=value`, never spliced into the script. It mounts binfmt_misc in its own mount namespace,
 * carries out the kernel writes, lists the table, finds QEMU, and runs the probes chrooted, printing one
 * line per fact for {@link parseHelperOutput} to read.
 *
 * Arguments: `timeout=SECS` (the bound of each probe and each `qemu --version`, anywhere in the list),
 * `marker=B64` (the stand-in /bin/sh of the probe chroot), `noversion=1` (the image's label gives QEMU's version),
 * `remove=NAME`, `enable=NAME`, `register=NAME=STRING`, `interp=CPU`, `probe=CPU=B64`, in the order they should
 * happen.
 *
 * Nothing in it waits without a bound: every program it runs that could hang (an emulator) runs under busybox's
 * `timeout -s KILL SECS`, and one killed there is reported as `timeout` instead of a status. So the container ends
 * by itself, in about SECS at most, whatever the emulators do, and `docker run --rm` removes it.
 */
// The script's own parameter expansions, written here so the template literal does not read them as its own.
const expand = (expansion: string) => `${"$"}{${expansion}}`;

export const HELPER_SCRIPT = String.raw`
B=/proc/sys/fs/binfmt_misc
P=/tmp/qus-probe
E=/tmp/qus-err
T=20
for arg in "$@"; do
  case $arg in timeout=*) T=${expand("arg#timeout=")} ;; esac
done
case $T in '' | *[!0-9]*) T=20 ;; esac
oneline() { tr '\n' ' ' <"$E"; }
# Runs a program for $T seconds at most: R is its exit status, or "timeout" when it had to be killed.
bounded() {
  start=$(date +%s)
  timeout -s KILL "$T" "$@"
  R=$?
  if [ "$R" = 137 ] && [ $(($(date +%s) - start)) -ge "$T" ]; then R=timeout; fi
}
for applet in base64 chmod chroot date head ls mkdir mount od sed tail timeout tr uname; do
  command -v "$applet" >/dev/null || { echo "fatal this busybox has no $applet applet"; exit 0; }
done
# Its files first: an image without /tmp must not pass for a mount refused.
mkdir -p "$P/bin" 2>/dev/null || { echo "fatal cannot create $P: the helper needs a writable /tmp"; exit 0; }
if [ ! -e "$B/register" ]; then
  if mount -t binfmt_misc binfmt_misc "$B" 2>"$E"; then echo "mounted"; else echo "mount-failed $(oneline)"; exit 0; fi
fi
echo "kernel $(uname -r)"
echo "host-header $(head -c 64 /bin/busybox | od -An -v -tx1 | tr -d ' \n')"
probes=""
noversion=""
for arg in "$@"; do
  key=${expand("arg%%=*")}
  value=${expand("arg#*=")}
  case $key in
    marker) printf '%s' "$value" | base64 -d >"$P/bin/sh" && chmod 755 "$P/bin/sh" ;;
    noversion) noversion=1 ;;
    remove)
      if [ ! -e "$B/$value" ]; then echo "op remove $value ok"
      elif (printf '%s' -1 >"$B/$value") 2>"$E"; then echo "op remove $value ok"
      else echo "op remove $value failed $(oneline)"; fi ;;
    enable)
      if (printf '%s' 1 >"$B/$value") 2>"$E"; then echo "op enable $value ok"; else echo "op enable $value failed $(oneline)"; fi ;;
    register)
      name=${expand("value%%=*")}
      line=${expand("value#*=")}
      if (printf '%s' "$line" >"$B/register") 2>"$E"; then echo "op register $name ok"; else echo "op register $name failed $(oneline)"; fi ;;
    interp)
      for path in "/usr/bin/qemu-$value-static" "/usr/bin/qemu-$value" "/usr/local/bin/qemu-$value-static" "/usr/local/bin/qemu-$value"; do
        if [ -x "$path" ]; then
          echo "interpreter $value $path"
          if [ -z "$noversion" ]; then
            (
              bounded "$path" --version </dev/null >"$P/version-$value" 2>/dev/null
              [ "$R" = timeout ] || echo "version $path $(head -n 1 "$P/version-$value")"
            ) &
          fi
          break
        fi
      done ;;
    probe)
      cpu=${expand("value%%=*")}
      printf '%s' "${expand("value#*=")}" | base64 -d >"$P/$cpu" && chmod 755 "$P/$cpu"
      probes="$probes $cpu" ;;
  esac
done
for name in $(ls "$B"); do
  case $name in register | status) continue ;; esac
  echo "entry $name"
  sed 's/^/| /' "$B/$name"
done
for cpu in $probes; do
  (
    bounded "$P/$cpu" </dev/null >/dev/null 2>&1
    direct=$R
    if [ "$direct" = timeout ]; then
      # The emulator hangs: chrooted it would hang just the same.
      echo "probe $cpu timeout timeout"
    else
      bounded chroot "$P" "/$cpu" </dev/null >/dev/null 2>"$P/$cpu.err"
      echo "probe $cpu $direct $R $(tail -n 1 "$P/$cpu.err" | tr '\n' ' ')"
    fi
  ) &
done
wait
echo "done"
`;
