#!/usr/bin/env bash
# Install, upgrade or remove the edge lane controller on a board (Raspberry Pi OS / Debian 12,
# Debian-based RK3588 images). Run as root from a checkout (or with --source WHEEL):
#
#   sudo bash tools/install.sh                 install, or upgrade in place (state, config, keys kept)
#   sudo bash tools/install.sh --uninstall     remove the software; keep config, state, keys, user
#   sudo bash tools/install.sh --uninstall --purge   remove those too
#
#   --root DIR         install into a disposable root (an image being built, the tests): no apt,
#                      no running services touched; the venv is made relocatable to /
#   --dry-run          print every step, do nothing
#   --source PATH      what pip installs (default: this checkout; a .whl works)
#   --pip-option OPT   passed to pip (repeat): a mirror --index-url=..., or --no-index --find-links=DIR
#   --state-dir DIR    default /var/lib/edge (must match [paths] state_dir)
#   --no-apt           skip the Debian packages (already installed)
#
# What it installs: Debian packages; a venv in /opt/edge/venv (system site packages: lgpio from
# Raspberry Pi OS); the `edge` user and group (systemd-sysusers; groups gpio and dialout);
# /etc/edge and the state dir with their owners and modes (systemd-tmpfiles); a udev rule for
# /dev/gpiochip* and the UARTs; boards/ and models/ in /usr/share/edge; edge.service
# (Type=notify, WatchdogSec=30, Restart=always, hardened) enabled at boot; a journald drop-in
# (persistent, 200 MB cap). Then: `edge provision`. Files: tools/install/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC_TREE=$(cd "$HERE/.." && pwd)
FILES="$HERE/install"
ROOT=/
DRY=0
MODE=install
PURGE=0
APT=1
SOURCE=$SRC_TREE
STATE_DIR=/var/lib/edge
PIP_OPTS=()
PYTHON=${EDGE_INSTALL_PYTHON:-/usr/bin/python3}

PREFIX=/opt/edge
CONFDIR=/etc/edge
CONFIG=$CONFDIR/edge.toml
SHAREDIR=/usr/share/edge
DOCDIR=/usr/share/doc/edge
UNIT=/etc/systemd/system/edge.service
SYSUSERS=/usr/lib/sysusers.d/edge.conf
TMPFILES=/usr/lib/tmpfiles.d/edge.conf
UDEV=/etc/udev/rules.d/60-edge.rules
JOURNALD=/etc/systemd/journald.conf.d/edge.conf
BIN=/usr/local/bin/edge
APT_PACKAGES=(python3 python3-venv python3-pip chrony fonts-wqy-zenhei ca-certificates)

die() { echo "install: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=${2:?--root needs a directory}; shift ;;
    --root=*) ROOT=${1#*=} ;;
    --dry-run) DRY=1 ;;
    --uninstall) MODE=uninstall ;;
    --purge) PURGE=1 ;;
    --no-apt) APT=0 ;;
    --source) SOURCE=${2:?}; shift ;;
    --source=*) SOURCE=${1#*=} ;;
    --pip-option) PIP_OPTS+=("${2:?}"); shift ;;
    --pip-option=*) PIP_OPTS+=("${1#*=}") ;;
    --state-dir) STATE_DIR=${2:?}; shift ;;
    --state-dir=*) STATE_DIR=${1#*=} ;;
    -h|--help) usage 0 ;;
    *) echo "install: unknown option $1" >&2; usage 2 ;;
  esac
  shift
done
[ "$PURGE" = 1 ] && [ "$MODE" != uninstall ] && die "--purge goes with --uninstall"
case "$STATE_DIR" in /*) ;; *) die "--state-dir must be an absolute path" ;; esac
ROOT=$(realpath -m "$ROOT")
R=${ROOT%/}                       # prefix for paths on the target ("" for the live system)
LIVE=0; [ -z "$R" ] && LIVE=1
SYSTEMD_UP=0; [ "$LIVE" = 1 ] && [ -d /run/systemd/system ] && SYSTEMD_UP=1
ROOT_OPT=(); [ "$LIVE" = 0 ] && ROOT_OPT=(--root="$ROOT")

step() { echo "install: $*"; }
run() {   # run a command, or show it under --dry-run
  if [ "$DRY" = 1 ]; then printf '  would run:'; printf ' %q' "$@"; echo; else "$@"; fi
}
put() {   # put FILE from tools/install/ (with @VARS@ filled in) at PATH on the target, mode MODE
  local src=$1 dst=$R$2 mode=$3
  if [ "$DRY" = 1 ]; then echo "  would write: $dst ($mode) from tools/install/$src"; return; fi
  mkdir -p "$(dirname "$dst")"
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@CONFIG@|$CONFIG|g" -e "s|@CONFDIR@|$CONFDIR|g" \
      -e "s|@STATE_DIR@|$STATE_DIR|g" -e "s|@DOCDIR@|$DOCDIR|g" "$FILES/$src" > "$dst.tmp"
  chmod "$mode" "$dst.tmp"
  mv "$dst.tmp" "$dst"
}
remove() { for p in "$@"; do if [ -e "$R$p" ] || [ -L "$R$p" ]; then run rm -rf "$R$p"; fi; done; }

[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || die "run as root (sudo bash tools/install.sh), or --dry-run"

# ------------------------------------------------------------------ uninstall
if [ "$MODE" = uninstall ]; then
  step "stopping and disabling edge.service"
  if [ "$SYSTEMD_UP" = 1 ]; then run systemctl disable --now edge.service || true
  elif [ -e "$R$UNIT" ]; then run systemctl "${ROOT_OPT[@]}" disable edge.service || true; fi
  step "removing the software (venv, unit, udev rule, journald drop-in, boards, models)"
  remove "$UNIT" "$UDEV" "$JOURNALD" "$SYSUSERS" "$TMPFILES" "$BIN" "$PREFIX" "$SHAREDIR" "$DOCDIR"
  if [ "$SYSTEMD_UP" = 1 ]; then run systemctl daemon-reload; run udevadm control --reload-rules || true; fi
  if [ "$PURGE" = 1 ]; then
    step "purging config, state (records, photos, keys) and the edge user"
    remove "$CONFDIR" "$STATE_DIR"
    if grep -q '^edge:' "$R/etc/passwd" 2>/dev/null; then
      if [ "$LIVE" = 1 ]; then run userdel edge; else run userdel --prefix "$ROOT" edge; fi
    fi
    if grep -q '^edge:' "$R/etc/group" 2>/dev/null; then
      if [ "$LIVE" = 1 ]; then run groupdel edge; else run groupdel --prefix "$ROOT" edge; fi
    fi
  else
    step "kept: $CONFDIR, $STATE_DIR (records, photos, keys) and the edge user (--purge removes them)"
  fi
  step "done"
  exit 0
fi

# ------------------------------------------------------------------ install / upgrade
UPGRADE=0; [ -x "$R$PREFIX/venv/bin/edge" ] && UPGRADE=1
step "$([ "$UPGRADE" = 1 ] && echo upgrading || echo installing) edge into ${ROOT} (state $STATE_DIR, config $CONFIG)"

if [ "$LIVE" = 1 ]; then
  . /etc/os-release 2>/dev/null || die "no /etc/os-release: not a Debian-based system"
  case " ${ID:-} ${ID_LIKE:-} " in *" debian "*|*" raspbian "*) ;; *) die "needs Debian or Raspberry Pi OS (found ${PRETTY_NAME:-unknown})" ;; esac
  step "system: ${PRETTY_NAME:-?}, $(uname -m), model: $(tr -d '\0' </proc/device-tree/model 2>/dev/null || echo 'no device tree')"
fi

if [ "$APT" = 1 ] && [ "$LIVE" = 1 ]; then
  pkgs=("${APT_PACKAGES[@]}")
  # Raspberry Pi OS packages lgpio; elsewhere pip installs it into the venv below
  if apt-cache show python3-lgpio >/dev/null 2>&1; then pkgs+=(python3-lgpio); else PIP_EXTRA=lgpio; fi
  step "Debian packages: ${pkgs[*]}"
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
else
  step "Debian packages skipped ($([ "$LIVE" = 0 ] && echo "--root: the image must have them" || echo --no-apt)): ${APT_PACKAGES[*]}"
fi

step "user and group edge (groups gpio, dialout) via systemd-sysusers"
put edge.sysusers.in "$SYSUSERS" 0644
[ "$LIVE" = 1 ] || run mkdir -p "$R/etc"
run systemd-sysusers "${ROOT_OPT[@]}" edge.conf

step "directories $CONFDIR (root:edge 0750), $STATE_DIR and keys/ (edge 0750/0700) via systemd-tmpfiles"
put edge.tmpfiles.in "$TMPFILES" 0644
run systemd-tmpfiles "${ROOT_OPT[@]}" --create edge.conf

step "Python venv $PREFIX/venv from $SOURCE"
NEW=$R$PREFIX/venv.new
run rm -rf "$NEW"
run mkdir -p "$R$PREFIX"
run "$PYTHON" -m venv --system-site-packages "$NEW"
run "$NEW/bin/python" -m pip install -q --disable-pip-version-check --no-warn-script-location \
    "${PIP_OPTS[@]}" "$SOURCE" ${PIP_EXTRA:-}
# pip wrote venv.new (and, with --root, the build root) into scripts: point them at the final place
step "fixing the venv's paths to $PREFIX/venv"
if [ "$DRY" = 1 ]; then echo "  would rewrite $NEW in its scripts to $PREFIX/venv"
else grep -rlIF "$NEW" "$NEW" | xargs -r sed -i "s|$NEW|$PREFIX/venv|g"; fi
if [ -d "$R$PREFIX/venv" ]; then run mv "$R$PREFIX/venv" "$R$PREFIX/venv.old"; fi
run mv "$NEW" "$R$PREFIX/venv"
run rm -rf "$R$PREFIX/venv.old"
# byte-code compiled under the final path (the unit's ProtectSystem=strict cannot write it later)
if [ "$LIVE" = 1 ]; then run "$PREFIX/venv/bin/python" -m compileall -q -f "$PREFIX/venv/lib"
else run "$R$PREFIX/venv/bin/python" -m compileall -q -f -s "$ROOT" -p / "$R$PREFIX/venv/lib"; fi
run mkdir -p "$R$(dirname "$BIN")"
run ln -sfn "$PREFIX/venv/bin/edge" "$R$BIN"

step "board profiles and models in $SHAREDIR, INSTALL.md in $DOCDIR"
for d in boards models; do
  run rm -rf "$R$SHAREDIR/$d.new"
  run mkdir -p "$R$SHAREDIR/$d.new"
  run cp -a "$SRC_TREE/$d/." "$R$SHAREDIR/$d.new/"
  run rm -rf "$R$SHAREDIR/$d"
  run mv "$R$SHAREDIR/$d.new" "$R$SHAREDIR/$d"
done
run mkdir -p "$R$DOCDIR"
run install -m 0644 "$SRC_TREE/INSTALL.md" "$R$DOCDIR/INSTALL.md"

step "udev rule $UDEV (gpiochip -> group gpio, UARTs -> group dialout)"
put 60-edge.rules "$UDEV" 0644
step "journald drop-in $JOURNALD (persistent, SystemMaxUse=200M)"
put journald-edge.conf "$JOURNALD" 0644
step "systemd unit $UNIT (Type=notify, WatchdogSec=30, Restart=always), enabled at boot"
put edge.service.in "$UNIT" 0644
if [ "$SYSTEMD_UP" = 1 ]; then
  run systemctl daemon-reload
  run systemctl enable edge.service
  run udevadm control --reload-rules
  run udevadm trigger --subsystem-match=gpio --subsystem-match=tty
  run systemctl restart systemd-journald
  if [ -e "$CONFIG" ]; then
    step "config present: (re)starting the lane"
    run systemctl restart edge.service
  fi
else
  run systemctl "${ROOT_OPT[@]}" enable edge.service
fi

[ -e "$R$CONFIG" ] && step "kept $CONFIG and $STATE_DIR (config, records, keys)"
step "done. Next: sudo edge provision   (then: edge doctor)"
