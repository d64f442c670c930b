#!/usr/bin/env bash
# Installs every dependency that is missing, from package registries only, pinned.
# A second run on a ready machine touches no network and takes well under a second.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- Debian packages --------------------------------------------------------------------
apt_lists=("$ROOT/scripts/deps/apt.txt")
# The sanitizer and fuzzing toolchain is for tests only: the app runs without it.
[[ ${1:-} == --with-test-tools ]] && apt_lists+=("$ROOT/scripts/deps/apt-test.txt")
apt_missing=()
while read -r spec; do
  [[ -z $spec || $spec == \#* ]] && continue
  name=${spec%%=*} want=${spec#*=}
  have=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)
  if [[ $have == "ii "* ]]; then
    [[ ${have#ii } == "$want" ]] || log "note: $name ${have#ii } installed, $want pinned"
  else
    apt_missing+=("$name=$want")
  fi
done < <(cat "${apt_lists[@]}")

if ((${#apt_missing[@]})); then
  log "installing Debian packages: ${apt_missing[*]}"
  sudo_cmd=(); [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${apt_missing[@]}"; then
    # A security update may have replaced a pinned version; take the candidate and say so.
    log "warning: a pinned version is gone from the archive; installing current candidates"
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${apt_missing[@]%%=*}"
  fi
fi

# --- Source distributions from PyPI (Dear ImGui, ZXing-C++), sha256-checked by pip --------
mkdir -p "$DEPS/downloads"
unpack_sdist() { # name version dir-in-archive target
  local archive="$DEPS/downloads/$1-$2.tar.gz" target="$DEPS/$4"
  [[ -f $target/.complete ]] && return 0
  rm -rf "$target" "$target.tmp" && mkdir -p "$target.tmp"
  tar -xzf "$archive" -C "$target.tmp" --strip-components=$(( $(tr -cd / <<<"$3" | wc -c) + 1 )) "$3"
  touch "$target.tmp/.complete" && mv "$target.tmp" "$target"
}
if [[ ! -f $DEPS/downloads/imgui_bundle-1.93.0.tar.gz || ! -f $DEPS/downloads/zxing_cpp-3.0.0.tar.gz ]]; then
  log "downloading source distributions from PyPI"
  # Sources only for our two packages; pip may take wheels for their build backends while it
  # reads their metadata (with :all: it compiles the cmake package from source for zxing-cpp).
  python3 -m pip download -q --no-deps --no-binary imgui-bundle,zxing-cpp -d "$DEPS/downloads" \
    -r "$ROOT/scripts/deps/python-sources.txt"
fi
unpack_sdist imgui_bundle 1.93.0 imgui_bundle-1.93.0/external/imgui/imgui imgui-1.93.0
unpack_sdist zxing_cpp 3.0.0 zxing_cpp-3.0.0/core zxing-cpp-3.0.0

# --- qrcodegen: the C header pair inside Debian's faust-common (extracted, not installed) ---
QRGEN_DEB=faust-common_2.54.9+ds0-1_all.deb
QRGEN_SHA=9c54ddbb099b890942f7447faa652b71ade4fbc6b62ce148335ddf8d57a41463
if [[ ! -f $DEPS/qrcodegen/.complete ]]; then
  if [[ ! -f $DEPS/downloads/$QRGEN_DEB ]]; then
    log "downloading faust-common for its qrcodegen headers"
    (cd "$DEPS/downloads" && apt-get download -q "faust-common=2.54.9+ds0-1")
  fi
  echo "$QRGEN_SHA  $DEPS/downloads/$QRGEN_DEB" | sha256sum -c --quiet || die "faust-common sha256 mismatch"
  tmp=$(mktemp -d) && dpkg -x "$DEPS/downloads/$QRGEN_DEB" "$tmp"
  mkdir -p "$DEPS/qrcodegen.tmp/qrcodegen"
  cp "$tmp"/usr/include/faust/gui/qrcodegen.h "$tmp"/usr/include/faust/gui/qrcodegen.impl.h "$DEPS/qrcodegen.tmp/qrcodegen/"
  rm -rf "$tmp" "$DEPS/qrcodegen" && touch "$DEPS/qrcodegen.tmp/.complete" && mv "$DEPS/qrcodegen.tmp" "$DEPS/qrcodegen"
fi

# --- npm: playwright-core for the browser tests, from the committed lock file --------------
if [[ ${1:-} == --with-test-tools ]]; then
  if ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.json.installed" 2>/dev/null; then
    log "installing npm packages (package-lock.json)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --cache "$CACHE/npm" --prefer-offline)
    cp "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.json.installed"
  fi
fi
