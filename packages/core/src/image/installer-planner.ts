/**
 * The installer image's planner: `plan()`'s rules (packages/core/src/plan.ts) as POSIX sh functions, since the image
 * has busybox sh and no node. `qp_plan DIR TABLE NATIVE REPLACE` reads the entry files of a binfmt_misc folder and
 * the table lines of the targets asked (see {@link renderInstallerTable}) and prints, per target, the step plan()
 * decides: its action (native, ok, register, enable, replace, conflict), the entries to remove, the entry to enable,
 * the register string, and plan()'s reasons. `qp_owned` is plan()'s ownership rule (`notQusReasons`).
 *
 * The property test (installer-planner.property.test.ts) runs these functions against plan() over random kernel
 * tables: any rule changed in plan.ts must change here too. Every variable is named qp_* (sh has no locals), and the
 * script runs with globbing off (`set -f`).
 *
 * Output, per target: `why <reason>` lines, then
 * `step <cpu> <entry> <arch> <action> <entry to enable|-> <register string|-> <entries to remove...>`.
 */
export const INSTALLER_PLANNER = `
# --- the planner: plan()'s rules of packages/core/src/plan.ts, run against it by a property test ---
qp_nl='
'

# Hex bytes of a register string's \\xNN-escaped field (every byte is escaped: encodeEscaped), in qp_hex.
qp_unescape() {
  qp_hex=""
  qp_s=$1
  while [ -n "$qp_s" ]; do
    qp_s=\${qp_s#??}
    qp_hex=$qp_hex\${qp_s%"\${qp_s#??}"}
    qp_s=\${qp_s#??}
  done
}

# Two hex digits per byte, else nothing (parseHexField): lower-cased, as the kernel prints them.
qp_hex_field() {
  qp_hex=""
  case $1 in '' | *[!0-9a-fA-F]*) return ;; esac
  [ $((\${#1} % 2)) -eq 0 ] || return
  qp_hex=$1
  case $1 in *[A-F]*) qp_hex=$(printf '%s' "$1" | tr A-F a-f) ;; esac
}

# "ff" for every byte of a magic: an entry without a mask compares every bit.
qp_full_mask() {
  qp_full=""
  qp_s=$1
  while [ -n "$qp_s" ]; do qp_full=\${qp_full}ff; qp_s=\${qp_s#??}; done
}

# Flag letters in effect, in the kernel's order (effectiveFlags: C implies O), in qp_ef.
qp_effective_flags() {
  qp_ef=""
  case $1 in *[Pp]*) qp_ef=P ;; esac
  case $1 in *[OoCc]*) qp_ef=\${qp_ef}O ;; esac
  case $1 in *[Cc]*) qp_ef=\${qp_ef}C ;; esac
  case $1 in *[Ff]*) qp_ef=\${qp_ef}F ;; esac
}

# One entry file, as parseEntry reads it, in qp_on (1 enabled), qp_interp, qp_flags, qp_offset, qp_magic (hex, empty
# for an extension entry) and qp_mask (hex, as long as the magic when the entry has none).
qp_parse_entry() {
  qp_on=0 qp_interp="" qp_flags="" qp_offset=0 qp_magic="" qp_mask="" qp_masked=""
  while IFS= read -r qp_raw || [ -n "$qp_raw" ]; do
    qp_line=\${qp_raw#"\${qp_raw%%[! 	]*}"}
    qp_line=\${qp_line%"\${qp_line##*[! 	]}"}
    case $qp_line in
      enabled) qp_on=1 ;;
      disabled) qp_on=0 ;;
      # The path as printed, from the first "interpreter ": plan compares it with the wanted one.
      "interpreter "*) qp_interp=\${qp_raw#*interpreter } ;;
      flags:*)
        qp_flags=\${qp_line#flags:}
        qp_flags=\${qp_flags#"\${qp_flags%%[! 	]*}"} ;;
      "offset "*)
        qp_s=\${qp_line#offset}
        qp_s=\${qp_s#"\${qp_s%%[! 	]*}"}
        qp_s=\${qp_s%%[!0-9]*}
        # Leading zeros would read as octal in sh arithmetic.
        while :; do case $qp_s in 0?*) qp_s=\${qp_s#0} ;; *) break ;; esac; done
        qp_offset=\${qp_s:-0} ;;
      "magic "*) qp_hex_field "\${qp_line#magic }"; qp_magic=$qp_hex ;;
      "mask "*) qp_hex_field "\${qp_line#mask }"; qp_mask=$qp_hex; qp_masked=1 ;;
    esac
  done <"$1"
  [ -n "$qp_masked" ] && [ -n "$qp_mask" ] && return
  qp_full_mask "$qp_magic"
  qp_mask=$qp_full
}

# Every entry of the binfmt_misc folder $1 (not register, not status), as qp_e<N>_<field>; qp_count of them.
qp_read_entries() {
  qp_count=0
  set +f
  for qp_path in "$1"/*; do
    [ -f "$qp_path" ] || continue
    case \${qp_path##*/} in register | status) continue ;; esac
    qp_parse_entry "$qp_path"
    qp_count=$((qp_count + 1))
    qp_name=\${qp_path##*/}
    for qp_field in name on interp flags offset magic mask; do eval "qp_e\${qp_count}_$qp_field=\\$qp_$qp_field"; done
  done
  set -f
}

# Entry N's fields into qp_name, qp_on, qp_interp, qp_flags, qp_offset, qp_magic, qp_mask.
qp_entry() {
  for qp_field in name on interp flags offset magic mask; do eval "qp_$qp_field=\\$qp_e$1_$qp_field"; done
}

# A table line's register string (:name:M:offset:magic:mask:interpreter:flags) as the target's wanted pattern,
# interpreter and flags: qp_t_offset, qp_t_magic, qp_t_mask (hex), qp_t_interp, qp_t_flags.
qp_read_register() {
  qp_ifs=$IFS
  IFS=:
  set -- $1
  IFS=$qp_ifs
  qp_t_offset=\${4:-0}
  qp_unescape "$5"
  qp_t_magic=$qp_hex
  qp_unescape "$6"
  qp_t_mask=$qp_hex
  [ -n "$qp_t_mask" ] || { qp_full_mask "$qp_t_magic"; qp_t_mask=$qp_full; }
  qp_t_interp=$7
  qp_t_flags=$8
}

# Whether the parsed entry (qp_offset, qp_magic, qp_mask) has the target's pattern exactly (samePattern).
qp_same_pattern() {
  [ -n "$qp_magic" ] && [ "$qp_offset" -eq "$qp_t_offset" ] && [ "$qp_magic" = "$qp_t_magic" ] &&
    [ "$qp_mask" = "$qp_t_mask" ]
}

# Whether some file could be claimed by the parsed entry and the target (patternsOverlap): where the two magics meet,
# the bits both masks keep agree. A mask shorter than its magic keeps no bit past its end.
qp_overlaps() {
  qp_at=$qp_offset
  [ "$qp_t_offset" -gt "$qp_at" ] && qp_at=$qp_t_offset
  qp_end=$((qp_offset + \${#qp_magic} / 2))
  qp_t_end=$((qp_t_offset + \${#qp_t_magic} / 2))
  [ "$qp_t_end" -lt "$qp_end" ] && qp_end=$qp_t_end
  qp_a=$qp_magic qp_ka=$qp_mask qp_b=$qp_t_magic qp_kb=$qp_t_mask
  qp_i=$qp_offset
  while [ "$qp_i" -lt "$qp_at" ]; do qp_a=\${qp_a#??} qp_ka=\${qp_ka#??} qp_i=$((qp_i + 1)); done
  qp_i=$qp_t_offset
  while [ "$qp_i" -lt "$qp_at" ]; do qp_b=\${qp_b#??} qp_kb=\${qp_kb#??} qp_i=$((qp_i + 1)); done
  while [ "$qp_at" -lt "$qp_end" ]; do
    qp_x=\${qp_ka%"\${qp_ka#??}"}
    qp_y=\${qp_kb%"\${qp_kb#??}"}
    qp_common=$((0x\${qp_x:-00} & 0x\${qp_y:-00}))
    [ $((0x\${qp_a%"\${qp_a#??}"} & qp_common)) -eq $((0x\${qp_b%"\${qp_b#??}"} & qp_common)) ] || return 1
    qp_a=\${qp_a#??} qp_ka=\${qp_ka#??} qp_b=\${qp_b#??} qp_kb=\${qp_kb#??} qp_at=$((qp_at + 1))
  done
}

# plan()'s ownership rule (notQusReasons) for the parsed entry under a target's name: QEMU's pattern for the target
# ($1, its platform) and a QEMU emulator of it ($2, qemu-<cpu>) as interpreter, in any folder. Why not, in qp_notours.
qp_owned() {
  qp_notours=""
  qp_same_pattern || qp_notours="its magic or mask is not QEMU's for $1"
  case \${qp_interp##*/} in
    "$2" | "$2-static") ;;
    *) qp_notours="\${qp_notours:+$qp_notours, and }its interpreter \${qp_interp:-(none)} is not QEMU's $2-static or $2" ;;
  esac
  [ -z "$qp_notours" ]
}

# How the parsed entry differs from the wanted target (entryDifferences, after the ownership line), in qp_diffs.
qp_differences() {
  qp_diffs=""
  qp_owned "$1" "$2" || qp_diffs="$qp_name is not qus's (another program registered it): $qp_notours$qp_nl"
  qp_same_pattern || qp_diffs="\${qp_diffs}magic or mask differs from QEMU's$qp_nl"
  qp_effective_flags "$qp_flags"
  qp_have=$qp_ef
  qp_effective_flags "$qp_t_flags"
  if [ "$qp_have" != "$qp_ef" ]; then
    qp_why=""
    case $qp_t_flags in *F*) case $qp_flags in *F*) ;; *) qp_why=": without F it fails inside containers and chroots" ;; esac ;; esac
    qp_diffs="\${qp_diffs}flags \${qp_flags:-(none)} instead of $qp_t_flags$qp_why$qp_nl"
  fi
  [ "$qp_interp" = "$qp_t_interp" ] || qp_diffs="\${qp_diffs}interpreter $qp_interp instead of $qp_t_interp$qp_nl"
}

# plan()'s step for one table line (qp_cpu qp_entry qp_arch qp_platform qp_emulator qp_reg), before the steps meet,
# appended to qp_steps. No command runs here: a fork per target would make the image slow to start on a busy node.
qp_plan_target() {
  case " $1 " in *" $qp_cpu "*)
    qp_steps="\${qp_steps}why runs natively on this machine\${qp_nl}step $qp_cpu $qp_entry $qp_arch native - -$qp_nl"
    return ;;
  esac
  qp_read_register "$qp_reg"
  qp_found="" qp_diffs="" qp_others="" qp_claims=""
  qp_n=0
  while [ "$qp_n" -lt "$qp_count" ]; do
    qp_n=$((qp_n + 1))
    qp_entry "$qp_n"
    if [ "$qp_name" = "$qp_entry" ]; then
      qp_found=$qp_n
      qp_found_on=$qp_on
      qp_differences "$qp_platform" "$qp_emulator"
    elif [ "$qp_on" = 1 ] && [ -n "$qp_magic" ] && qp_overlaps; then
      qp_others="$qp_others $qp_name"
      qp_claims="\${qp_claims}entry $qp_name ($qp_interp) also claims these binaries$qp_nl"
    fi
  done
  qp_remove="" qp_enable=- qp_register=- qp_reasons=$qp_diffs$qp_claims
  if [ -z "$qp_found" ] && [ -z "$qp_others" ]; then
    qp_action=register qp_register=$qp_reg
  elif [ -z "$qp_found" ] || [ -n "$qp_diffs" ] || [ -n "$qp_others" ]; then
    qp_action=conflict
    if [ -n "$2" ]; then
      qp_action=replace
      if [ -z "$qp_found" ] || [ -n "$qp_diffs" ]; then
        qp_register=$qp_reg
        [ -z "$qp_found" ] || qp_remove=" $qp_entry"
      elif [ "$qp_found_on" != 1 ]; then
        qp_enable=$qp_entry
      fi
      qp_remove=$qp_remove$qp_others
    fi
  elif [ "$qp_found_on" != 1 ]; then
    qp_action=enable qp_enable=$qp_entry qp_reasons="entry is disabled$qp_nl"
  else
    qp_action=ok qp_reasons=""
  fi
  qp_ifs=$IFS
  IFS=$qp_nl
  for qp_line in $qp_reasons; do qp_steps="\${qp_steps}why $qp_line$qp_nl"; done
  IFS=$qp_ifs
  qp_steps="\${qp_steps}step $qp_cpu $qp_entry $qp_arch $qp_action $qp_enable $qp_register$qp_remove$qp_nl"
}

# plan(): the steps of the targets of table file $2 (lines: cpu entry arch platform names emulator register) for the
# binfmt_misc folder $1, the cpus that run natively ($3, space separated) and --replace ($4 not empty). A name one step
# registers anew is removed by that step alone.
qp_plan() {
  qp_read_entries "$1"
  qp_steps=""
  while read -r qp_cpu qp_entry qp_arch qp_platform qp_names qp_emulator qp_reg; do
    qp_plan_target "$3" "$4"
  done <"$2"
  qp_ifs=$IFS
  IFS=$qp_nl
  qp_registered=" "
  for qp_line in $qp_steps; do
    IFS=$qp_ifs
    set -- $qp_line
    [ "$1" = step ] && [ "$7" != - ] && qp_registered="$qp_registered$3 "
  done
  IFS=$qp_nl
  for qp_line in $qp_steps; do
    IFS=$qp_ifs
    case $qp_line in step\\ *) ;; *) echo "$qp_line"; continue ;; esac
    set -- $qp_line
    qp_kept="$1 $2 $3 $4 $5 $6 $7"
    qp_own=$3
    [ "$7" != - ] || qp_own=""
    shift 7
    for qp_name in "$@"; do
      case $qp_registered in *" $qp_name "*) [ "$qp_name" = "$qp_own" ] || continue ;; esac
      qp_kept="$qp_kept $qp_name"
    done
    echo "$qp_kept"
  done
  IFS=$qp_ifs
}
`;
