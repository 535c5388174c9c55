#!/usr/bin/env bash
# dist.sh VERSION WINDOWS_INSTALLER: gathers what `make dist` built into
# build/dist: the .deb (nfpm), a .tar.gz of the Linux binaries with their
# menu entry and icons, the Windows installer, and SHA256SUMS of them all.
# It packages the binaries already in build/bin; it compiles nothing.
set -euo pipefail
version=${1:?usage: dist.sh VERSION WINDOWS_INSTALLER}
installer=${2:?usage: dist.sh VERSION WINDOWS_INSTALLER}
cd "$(dirname "$0")/.."
dist=build/dist
nfpm=${NFPM:-.bin/nfpm}
for f in build/bin/lorastudio-desktop build/bin/lorastudio "$installer"; do
  [[ -f $f ]] || { echo "dist: $f is missing; run make dist" >&2; exit 1; }
done
rm -rf "$dist"
mkdir -p "$dist"

VERSION=$version "$nfpm" package -f build/linux/nfpm.yaml -p deb -t "$dist/" >/dev/null

# The tarball unpacks to a prefix: tar -C ~/.local --strip-components=1 -xzf
# puts the binaries in bin/ and the menu entry and icons under share/.
name=lorastudio_${version}_linux_amd64
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/share/applications" "$stage/$name/share/icons"
install -m 0755 build/bin/lorastudio-desktop build/bin/lorastudio "$stage/$name/bin/"
install -m 0644 build/linux/lorastudio.desktop "$stage/$name/share/applications/"
cp -r build/linux/icons/hicolor "$stage/$name/share/icons/"
# Same bytes for the same commit: fixed order, owner and times.
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$stamp" \
  -czf "$dist/$name.tar.gz" "$name"

cp "$installer" "$dist/lorastudio_${version}_windows_amd64_setup.exe"

(cd "$dist" && sha256sum -- * >SHA256SUMS)
ls -l "$dist" | awk 'NR > 1 { printf "dist: %-50s %6.1f MB\n", $9, $5 / 1e6 }'
