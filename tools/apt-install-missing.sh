# shellcheck shell=bash
# Sourced, not run. apt_install_missing PREFIX PACKAGE...: installs (as root, quietly, without recommends) the
# Debian packages of the list that are not installed yet; PREFIX starts its one line of output.
apt_install_missing() {
  local prefix=$1 package
  shift
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "$prefix: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
