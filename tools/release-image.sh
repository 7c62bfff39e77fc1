#!/usr/bin/env bash
# Publishes qus's installer image as a release does: built for linux/amd64 and linux/arm64 from Debian's packages
# (`qus image build --platform`, the arm64 one under qus's own emulation), each pushed, then joined as ONE
# multi-platform image under the default reference @qus/core defines (QUS_IMAGE: ghcr.io/qus/qus-binfmt:<version>).
# A release runs it with no argument; the rehearsal (e2e/release-rehearsal.kernel.test.ts) names a loopback registry,
# which replaces only the reference's registry (127.0.0.1:5000/qus/qus-binfmt:<version>).
#
# Usage: tools/release-image.sh [REGISTRY]     Run from a built checkout (npm run build), as root or a docker user,
#   logged in to the registry (docker login). Prints the reference pushed on its last line.
# Needs: the docker engine with buildx (imagetools), Debian's archive with arm64 (dpkg --add-architecture arm64).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUS=("node" "$ROOT/packages/cli/bin/qus.js")
say() { echo "release-image: $*" >&2; }
die() {
  echo "release-image: $*" >&2
  exit 1
}

# The default reference, as the built @qus/core defines it (never spelled here).
default_ref=$(cd "$ROOT" && node --input-type=module -e 'const { QUS_IMAGE } = await import("@qus/core");
console.log(QUS_IMAGE);') || die "cannot read QUS_IMAGE from @qus/core: run npm run build first"

# REF with its registry (the first path component when it has a dot or a port, or is localhost) replaced by $1.
with_registry() {
  local registry=$1 ref=$2 first=${2%%/*}
  if [ "$first" != "$ref" ] && { [[ $first == *.* ]] || [[ $first == *:* ]] || [ "$first" = localhost ]; }; then
    ref=${ref#*/}
  fi
  echo "$registry/$ref"
}

ref=$default_ref
[ $# -eq 0 ] || ref=$(with_registry "$1" "$default_ref")
[[ $ref == *:* ]] || die "the default reference $default_ref has no tag"
say "publishing $ref (linux/amd64, linux/arm64)"

amd64="$ref-amd64"
arm64="$ref-arm64"
"${QUS[@]}" image build --platform linux/amd64 --tag "$amd64" >&2 || die "the linux/amd64 image did not build"
docker push --quiet "$amd64" >&2 || die "could not push $amd64"
# The arm64 image's RUN step runs arm64's busybox: qus registers and proves arm64 first, with the image just built.
QUS_IMAGE=$amd64 "${QUS[@]}" ensure --driver docker --platforms linux/arm64 >&2 ||
  die "linux/arm64 does not run on this engine: qus ensure --driver docker --platforms linux/arm64 failed"
"${QUS[@]}" image build --platform linux/arm64 --tag "$arm64" >&2 || die "the linux/arm64 image did not build"
docker push --quiet "$arm64" >&2 || die "could not push $arm64"
docker buildx imagetools create --tag "$ref" "$amd64" "$arm64" >&2 || die "could not join the two images as $ref"

platforms=$(docker buildx imagetools inspect --raw "$ref" |
  node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s)
    .manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort().join(",")))')
[ "$platforms" = "linux/amd64,linux/arm64" ] || die "$ref lists $platforms, not linux/amd64,linux/arm64"
say "pushed $ref: $platforms"
echo "$ref"
