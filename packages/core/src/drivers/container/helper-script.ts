/**
 * The program the helper container runs (busybox sh): a constant script; everything variable arrives as separate
 * arguments `key=value`, never spliced into the script. It mounts binfmt_misc in its own mount namespace,
 * carries out the kernel writes, lists the table, finds QEMU, and runs each probe once, chrooted, printing one
 * line per fact for {@link parseHelperOutput} to read. It starts as few processes as it can (shell builtins read
 * /proc and the files it wrote): on a busy engine each one costs milliseconds of the no-op's time.
 *
 * Arguments: `timeout=SECS` (the bound of each probe and each `qemu --version`, anywhere in the list),
 * `marker=B64` (the stand-in /bin/sh of the probe chroot), `noversion=1` (the image's label gives QEMU's version),
 * `remove=NAME`, `enable=NAME`, `register=NAME=STRING`, `interp=CPU` (or `interp=CPU=BASE`: look for the emulator
 * BASE, `qemu-i386` for i486, instead of `qemu-CPU`), `probe=CPU=B64`, in the order they should happen.
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
# Seconds since boot, in U: a shell builtin reading /proc, not a process.
now() { read -r U _ </proc/uptime; U=${expand("U%%.*")}; }
# Runs a program for $T seconds at most: R is its exit status, or "timeout" when it had to be killed.
bounded() {
  now
  start=$U
  timeout -s KILL "$T" "$@"
  R=$?
  if [ "$R" = 137 ]; then now; [ $((U - start)) -ge "$T" ] && R=timeout; fi
}
# The last line of a file, in L (empty when there is none), without starting a process.
lastline() {
  L=""
  while IFS= read -r line || [ -n "$line" ]; do L=$line; done <"$1"
}
for applet in base64 chmod chroot mkdir mount od timeout tr; do
  command -v "$applet" >/dev/null || { echo "fatal this busybox has no $applet applet"; exit 0; }
done
# Its files first: an image without /tmp must not pass for a mount refused.
mkdir -p "$P/bin" 2>/dev/null || { echo "fatal cannot create $P: the helper needs a writable /tmp"; exit 0; }
if [ ! -e "$B/register" ]; then
  if mount -t binfmt_misc binfmt_misc "$B" 2>"$E"; then echo "mounted"; else echo "mount-failed $(oneline)"; exit 0; fi
fi
read -r release </proc/sys/kernel/osrelease
echo "kernel $release"
# Another user namespace than the host's sees a table it may not change, or one of its own (Linux 6.7+).
while read -r inside outside count; do echo "uidmap $inside $outside $count"; done </proc/self/uid_map
echo host-header $(od -An -v -tx1 -N 64 /bin/busybox)
probes=""
versions=""
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
      # busybox's printf gives no error text for a refused write: an entry there now is what refused it (EEXIST).
      if (printf '%s' "$line" >"$B/register") 2>"$E"; then echo "op register $name ok"
      elif [ ! -s "$E" ] && [ -e "$B/$name" ]; then echo "op register $name failed File exists"
      else echo "op register $name failed $(oneline)"; fi ;;
    interp)
      base=qemu-$value
      case $value in *=*) base=${expand("value#*=")}; value=${expand("value%%=*")} ;; esac
      for path in "/usr/bin/$base-static" "/usr/bin/$base" "/usr/local/bin/$base-static" "/usr/local/bin/$base"; do
        if [ -x "$path" ]; then
          echo "interpreter $value $path"
          if [ -z "$noversion" ]; then
            versions="$versions $value"
            (
              bounded "$path" --version </dev/null >"$P/version-$value" 2>/dev/null
              if [ "$R" != timeout ]; then
                read -r first <"$P/version-$value" || true
                echo "version $path $first" >"$P/version-$value.line"
              fi
            ) &
          fi
          break
        fi
      done ;;
    probe) probes="$probes $value" ;;
  esac
done
# The probes, after every kernel write, in parallel and chrooted only, as builds run them: one emulator start each.
# Each writes its line to a file, printed after the table, so no line lands inside an entry's lines.
for probe in $probes; do
  cpu=${expand("probe%%=*")}
  (
    printf '%s' "${expand("probe#*=")}" | base64 -d >"$P/$cpu" && chmod 755 "$P/$cpu"
    bounded chroot "$P" "/$cpu" </dev/null >/dev/null 2>"$P/$cpu.err"
    lastline "$P/$cpu.err"
    echo "probe $cpu $R $L" >"$P/$cpu.result"
  ) &
done
for path in "$B"/*; do
  name=${expand("path##*/")}
  case $name in register | status | '*') continue ;; esac
  echo "entry $name"
  while IFS= read -r line || [ -n "$line" ]; do echo "| $line"; done <"$path"
done
wait
for result in $probes; do
  cpu=${expand("result%%=*")}
  lastline "$P/$cpu.result"
  echo "$L"
done
for cpu in $versions; do
  [ -e "$P/version-$cpu.line" ] && lastline "$P/version-$cpu.line" && echo "$L"
done
echo "done"
`;
