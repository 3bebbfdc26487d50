#!/usr/bin/env bash
# Build a real third-party VST3 plugin (DISTRHO "3 Band EQ" from Debian's
# dpf-plugins source package) for tests that use pedalboard.load_plugin.
#
# Usage: scripts/build_test_vst3.sh OUTDIR
#   -> leaves OUTDIR/3BandEQ.vst3 (the bundle directory). Exits 0 at once if it
#      is already there.
#
# Environment (all optional):
#   PLUGIN=3BandEQ   another dpf-plugins plugin dir (3BandSplitter, PingPongPan, ...)
#   WITH_UI=0        1 = also build the OpenGL/X11 editor (then the .so needs
#                    libGL/libX11 at run time). Default 0: DSP-only build whose .so
#                    needs only libc/libstdc++, so it builds and loads headless.
#   PYTHON=...       python with pedalboard for the final check (default
#                    /work/venv/bin/python if present, else python3).
#   SKIP_VERIFY=1    skip the pedalboard load/process check.
#
# Needs root (or sudo) on Debian 12 (bookworm) for apt-get; enables deb-src
# entries if none are configured. Builds in a temp dir that is removed on exit.
set -euo pipefail

log() { printf '[build_test_vst3] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUTDIR=$(realpath -m "$1")  # absolute: the build runs in a temporary directory
PLUGIN=${PLUGIN:-3BandEQ}
WITH_UI=${WITH_UI:-0}
BUNDLE="$PLUGIN.vst3"

if [ -d "$OUTDIR/$BUNDLE" ]; then
    log "$OUTDIR/$BUNDLE already exists; nothing to do"
    exit 0
fi

start=$(date +%s)
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (or have sudo) for apt-get"
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)

# --- apt: build deps -------------------------------------------------------
pkgs=(g++ make xz-utils pkg-config)
if [ "$WITH_UI" = 1 ]; then
    pkgs+=(libgl-dev libx11-dev libxext-dev libxrandr-dev libglu1-mesa-dev libgl1 libx11-6 libxext6)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

apt_updated=0
apt_update() {
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        $SUDO apt-get update -q >/dev/null
        apt_updated=1
    fi
}

# --- apt: deb-src entries ----------------------------------------------------
has_deb_src() {
    grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
if ! has_deb_src; then
    log "enabling deb-src entries"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        $SUDO sed -i -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' \
            /etc/apt/sources.list.d/debian.sources
    fi
    if ! has_deb_src; then
        # only Debian's own archives (third-party repos often have no Sources)
        srcs=$(grep -hsE '^[[:space:]]*deb[[:space:]].*debian' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
               | sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' || true)
        [ -n "$srcs" ] || srcs="deb-src http://deb.debian.org/debian bookworm main"
        printf '%s\n' "$srcs" | $SUDO tee /etc/apt/sources.list.d/zz-build-test-vst3-src.list >/dev/null
    fi
    apt_updated=0
fi

if [ ${#missing[@]} -gt 0 ]; then
    apt_update
    log "installing: ${missing[*]}"
    $SUDO apt-get install "${APT_OPTS[@]}" "${missing[@]}" >/dev/null
fi

if ! apt-cache showsrc dpf-plugins 2>/dev/null | grep -q '^Package: dpf-plugins'; then
    apt_update
    apt-cache showsrc dpf-plugins 2>/dev/null | grep -q '^Package: dpf-plugins' \
        || die "apt cannot find source package dpf-plugins (deb-src entries?)"
fi

# --- fetch + unpack source ---------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-test-vst3.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# apt drops privileges to _apt for downloads; let it write here (avoids a warning).
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$WORK"; fi
cd "$WORK"

log "fetching dpf-plugins orig tarball (apt-get source --tar-only, ~57 MB)"
# --tar-only: only the upstream tarball (it already contains DPF in dpf/);
# the Debian packaging tarball is not needed, and no dpkg-dev either.
apt-get source -q --download-only --tar-only dpf-plugins >/dev/null
shopt -s nullglob
tarballs=(dpf-plugins_*.orig.tar.*)
shopt -u nullglob
[ ${#tarballs[@]} -ge 1 ] || die "no dpf-plugins orig tarball downloaded"
log "unpacking ${tarballs[0]}"
tar -xf "${tarballs[0]}"
SRC=$(find . -mindepth 1 -maxdepth 1 -type d -name 'dpf-plugins-*' | head -n1)
[ -n "$SRC" ] || die "unexpected tarball layout"
SRC=$WORK/${SRC#./}
[ -d "$SRC/plugins/$PLUGIN" ] || die "no plugin '$PLUGIN' in dpf-plugins (have: $(ls "$SRC/plugins" | tr '\n' ' '))"

# The orig tarball ships DPF in dpf/. Should a future +ds repack drop it, use
# the framework from the dpf-source binary package instead.
if [ ! -f "$SRC/dpf/Makefile.plugins.mk" ]; then
    log "dpf/ missing from source; using dpf-source package"
    dpkg-query -W -f='${Status}' dpf-source 2>/dev/null | grep -q '^install ok installed$' || {
        apt_update; $SUDO apt-get install "${APT_OPTS[@]}" dpf-source >/dev/null; }
    dpfdir=
    for d in /usr/share/dpf /usr/src/dpf; do [ -f "$d/Makefile.plugins.mk" ] && dpfdir=$d && break; done
    [ -n "$dpfdir" ] || die "dpf-source installed but DPF not found"
    rm -rf "$SRC/dpf"; cp -a "$dpfdir" "$SRC/dpf"
fi

# --- build -------------------------------------------------------------------
JOBS=$(nproc 2>/dev/null || echo 2)
if [ "$WITH_UI" = 1 ]; then
    log "building DPF dgl (OpenGL UI library)"
    make -s -j"$JOBS" -C "$SRC/dpf/dgl" FILE_BROWSER_DISABLED=true >"$WORK/dgl.log" 2>&1 \
        || { tail -n 40 "$WORK/dgl.log" >&2; die "dgl build failed"; }
    ui_args=()
else
    # No UI sources -> DPF builds a DSP-only plugin: no OpenGL/X11 needed at all.
    ui_args=(FILES_UI=)
fi
log "building $PLUGIN vst3 (WITH_UI=$WITH_UI, -j$JOBS)"
make -s -j"$JOBS" -C "$SRC/plugins/$PLUGIN" vst3 "${ui_args[@]}" >"$WORK/plugin.log" 2>&1 \
    || { tail -n 40 "$WORK/plugin.log" >&2; die "$PLUGIN build failed"; }
[ -d "$SRC/bin/$BUNDLE" ] || die "build produced no $SRC/bin/$BUNDLE"
so=$(find "$SRC/bin/$BUNDLE" -name '*.so' | head -n1)
[ -n "$so" ] || die "no .so inside $BUNDLE"
if command -v ldd >/dev/null 2>&1 && ldd "$so" | grep -q 'not found'; then
    ldd "$so" >&2; die "$so has unresolved shared libraries"
fi

# --- verify with pedalboard (headless) ----------------------------------------
if [ -z "${PYTHON:-}" ]; then
    if [ -x /work/venv/bin/python ]; then PYTHON=/work/venv/bin/python; else PYTHON=python3; fi
fi
if [ "${SKIP_VERIFY:-0}" = 1 ]; then
    log "SKIP_VERIFY=1: not loading the plugin"
elif ! "$PYTHON" -c 'import pedalboard, numpy' >/dev/null 2>&1; then
    log "WARNING: $PYTHON has no pedalboard/numpy; skipping load check"
else
    log "verifying with $PYTHON + pedalboard (no DISPLAY)"
    cat >"$WORK/verify.py" <<'PY'
import sys
import numpy as np
import pedalboard

path, name = sys.argv[1], sys.argv[2]
p = pedalboard.load_plugin(path)
print("  loaded:", p.name, "| params:", ", ".join(p.parameters.keys()))
sr = 44100
x = (np.random.default_rng(0).standard_normal((2, 4096)) * 0.1).astype(np.float32)
y = p(x, sr)
assert y.shape == x.shape, (y.shape, x.shape)
assert np.all(np.isfinite(y))
if name == "3BandEQ":
    assert p.reported_latency_samples == 0, p.reported_latency_samples
    err = float(np.max(np.abs(y - x)))
    assert err < 1e-4, f"default params not ~identity (max abs diff {err})"
    print(f"  processed {x.shape} float32 @ {sr} Hz; identity error {err:.2e}")
else:
    print(f"  processed {x.shape} float32 @ {sr} Hz -> {y.shape}")
PY
    env -u DISPLAY -u WAYLAND_DISPLAY "$PYTHON" "$WORK/verify.py" "$SRC/bin/$BUNDLE" "$PLUGIN" >&2 \
        || die "pedalboard verification failed"
fi

# --- install into OUTDIR (atomically) ------------------------------------------
mkdir -p "$OUTDIR"
rm -rf "$OUTDIR/.$BUNDLE.tmp.$$"
cp -a "$SRC/bin/$BUNDLE" "$OUTDIR/.$BUNDLE.tmp.$$"
if [ -d "$OUTDIR/$BUNDLE" ]; then   # lost a race with a concurrent run: keep theirs
    rm -rf "$OUTDIR/.$BUNDLE.tmp.$$"
else
    mv "$OUTDIR/.$BUNDLE.tmp.$$" "$OUTDIR/$BUNDLE"
fi
log "done: $OUTDIR/$BUNDLE ($(( $(date +%s) - start ))s)"
