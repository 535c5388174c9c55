#!/usr/bin/env bash
# dist-check.sh DIST OUT: checks what `make dist` put in DIST as a person
# would meet it, keeping screenshots and logs in OUT.
#
# What it proves:
#  - SHA256SUMS matches every file; the Windows file is an NSIS installer.
#  - The .deb installs (dpkg-deb -x into a scratch root) the two binaries,
#    a valid menu entry whose Exec and Icon resolve inside the package, and
#    the hicolor icons.
#  - Its Depends cover every shared library the binaries load directly:
#    each NEEDED library belongs to a declared package or to one of their
#    own dependencies (so a build against webkit2gtk-4.1 fails here).
#  - The installed desktop binary, started on an empty HOME, opens its data
#    folder under XDG_DATA_HOME, logs the packaged version, and maps a window
#    titled "LoRA Studio" whose WM_CLASS is the menu entry's StartupWMClass.
#  - That window shows the studio: its header (the app name and tagline,
#    drawn by the React frontend from the embedded assets) matches a
#    reference crop. A window still showing its background colour, a
#    blank or an error page does not (checked below as a negative control).
#
# dist-check.sh --record DIST OUT rewrites the reference after a deliberate
# change to the header.
set -euo pipefail
record=
if [[ ${1:-} == --record ]]; then
  record=1
  shift
fi
dist=${1:?usage: dist-check.sh [--record] DIST OUT}
out=${2:?usage: dist-check.sh [--record] DIST OUT}
here=$(cd "$(dirname "$0")" && pwd)
reference=$here/testdata/installed-header.png
# The header crop, in window coordinates, and how far (normalised RMSE) a
# screenshot may drift from the reference: font hinting noise is ~0.01, a
# missing header is > 0.2.
crop=420x68+0+0
tolerance=0.05
timeout=40

fail() { echo "dist-check: $*" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d /tmp/lorastudio-dist-check.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# 1. Checksums and the installer.
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match $dist"
shopt -s nullglob
debs=("$dist"/*.deb) exes=("$dist"/*_windows_amd64_setup.exe) tars=("$dist"/*.tar.gz)
((${#debs[@]} == 1 && ${#exes[@]} == 1 && ${#tars[@]} == 1)) || fail "want one .deb, one setup.exe and one .tar.gz in $dist"
deb=${debs[0]}
[[ $(file -b "${exes[0]}") == *"Nullsoft Installer"* ]] || fail "${exes[0]} is not an NSIS installer: $(file -b "${exes[0]}")"
tar -tzf "${tars[0]}" >"$scratch/tar.list"
grep -q "/bin/lorastudio-desktop$" "$scratch/tar.list" || fail "${tars[0]} has no bin/lorastudio-desktop"

# 2. The package's contents.
root=$scratch/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/lorastudio-desktop usr/bin/lorastudio usr/share/applications/lorastudio.desktop; do
  [[ -f $root/$f ]] || fail "the .deb has no /$f"
done
entry=$root/usr/share/applications/lorastudio.desktop
desktop-file-validate "$entry" || fail "the menu entry is not valid"
field() { sed -n "s/^$1=//p" "$entry"; }
[[ -x $root/usr/bin/$(field Exec) ]] || fail "Exec=$(field Exec) is not a binary in /usr/bin of the package"
for s in 16 32 48 128 256 512; do
  icon=$root/usr/share/icons/hicolor/${s}x$s/apps/$(field Icon).png
  [[ $(identify -format '%wx%h' "$icon" 2>/dev/null) == "${s}x$s" ]] || fail "no ${s}px icon $(field Icon) in the package"
done

# 3. Depends against what the binaries link.
depends=$(dpkg-deb -f "$deb" Depends)
declared=$(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/|.*//; s/ //g' | grep .)
covered=$(printf '%s\n' "$declared"; for p in $declared; do
  dpkg-query -W -f='${Depends}, ${Pre-Depends}\n' "$p" 2>/dev/null | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/:any//; s/ //g'
done)
for bin in "$root"/usr/bin/*; do
  for lib in $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    owner=$(dpkg -S "*/$lib" 2>/dev/null | sed -n "s|^\([^:,]*\)[^ ]* .*/$lib\$|\1|p" | head -1)
    [[ -n $owner ]] || fail "no installed package provides $lib (needed by ${bin##*/})"
    grep -qx "$owner" <<<"$covered" || fail "${bin##*/} needs $lib from $owner, which Depends ($depends) does not bring"
  done
done

# 4. Start the installed app on an empty home and wait for the studio.
home=$scratch/home
mkdir -p "$home"
expect_version=$(dpkg-deb -f "$deb" Version)
expect_version=${expect_version%-*}
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share XDG_CACHE_HOME=$home/.cache
unset LORASTUDIO_DATA_DIR
export root out crop tolerance timeout reference record
xvfb-run -a -s "-screen 0 1280x900x24" bash -c '
  set -euo pipefail
  fail() { echo "dist-check: $*" >&2; exit 1; }
  rmse() { compare -metric RMSE "$1" "$2" null: 2>&1 | sed -n "s/.*(\(.*\))/\1/p"; }
  started=$(date +%s%N)
  "$root/usr/bin/lorastudio-desktop" >"$out/app.log" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 ))"; }
  wid= shown= d=
  while (( $(elapsed) < timeout * 1000 )); do
    kill -0 $pid 2>/dev/null || { cat "$out/app.log" >&2; fail "the installed app exited"; }
    if [[ -z $wid ]]; then
      wid=$(xwininfo -root -tree | sed -n "s/^ *\(0x[0-9a-f]*\) \"LoRA Studio\": (\"\([^\"]*\)\".*/\1 \2/p" | head -1)
      [[ -n $wid ]] && window_ms=$(elapsed)
    fi
    if [[ -n $wid && -z $record ]]; then
      import -window "${wid%% *}" -crop "$crop" +repage "$out/header.png" 2>/dev/null || true
      d=$(rmse "$out/header.png" "$reference" || true)
      if [[ -n $d ]] && awk -v d="$d" -v t="$tolerance" "BEGIN { exit !(d < t) }"; then
        shown=$(elapsed); break
      fi
    elif [[ -n $wid ]]; then
      sleep 8; import -window "${wid%% *}" -crop "$crop" +repage "$reference"; shown=$(elapsed); break
    fi
    sleep 0.25
  done
  import -window root "$out/installed-window.png"
  [[ -n $wid ]] || fail "no window titled \"LoRA Studio\" within ${timeout}s"
  [[ -n $shown ]] || fail "the window never showed the studio header (last RMSE ${d:-none} vs tolerance $tolerance); see $out/header.png and $out/installed-window.png"
  echo "${wid#* } $window_ms $shown ${d:-recorded}" >"$out/timing"
'
read -r wmclass window_ms shown_ms header_rmse <"$out/timing"
[[ $wmclass == "$(field StartupWMClass)" ]] || fail "WM_CLASS $wmclass is not the menu entry's StartupWMClass $(field StartupWMClass)"
applog=$(ls "$XDG_DATA_HOME"/*/logs/desktop.log 2>/dev/null | head -1)
[[ -n $applog ]] || fail "the app kept no log under XDG_DATA_HOME"
grep -q "\"msg\":\"desktop started\".*\"version\":\"$expect_version\"" "$applog" ||
  fail "the installed app did not log version $expect_version: $(grep 'desktop started' "$applog")"
if [[ -n $record ]]; then
  echo "dist-check: recorded $reference"
  exit 0
fi

# The negative control: the window's own background colour, and a white page,
# must not pass for the studio.
for blank in 'rgb(15,17,21)' white; do
  convert -size "${crop%%+*}" "xc:$blank" "$scratch/blank.png"
  d=$(compare -metric RMSE "$scratch/blank.png" "$reference" null: 2>&1 | sed -n 's/.*(\(.*\))/\1/p' || true)
  awk -v d="$d" -v t="$tolerance" 'BEGIN { exit !(d >= t) }' || fail "a $blank window would pass (RMSE $d): the check proves nothing"
done
echo "dist-check: $(basename "$deb") ok: Depends cover the linked libraries; window after ${window_ms} ms, studio header shown after ${shown_ms} ms (RMSE $header_rmse), version $expect_version"
