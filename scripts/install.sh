#!/usr/bin/env bash
# Installs asic-agent as a boot service on Raspberry Pi OS (or any Debian-based Linux with systemd).
#
#   sudo scripts/install.sh [--config FILE] [--prefix /opt/asic-agent] [--root DIR] [--dry-run]
#
# It: checks Node.js >= 20; copies this checkout to the prefix; installs dependencies (npm ci), builds
# dist/ and drops dev dependencies; creates the system user `miner` in the gpio, i2c and dialout groups;
# puts the config at /etc/asic-agent/config.toml (mode 0600, owner miner; an existing one is kept);
# installs and enables the systemd unit.
#   --root DIR   install into DIR instead of / (for packaging and tests); implies no service start
#   --dry-run    print the commands that change users or services instead of running them
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
root="/"
prefix="/opt/asic-agent"
config=""
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root="${root%/}"
dest="$root$prefix"
etc="$root/etc/asic-agent"
unitdir="$root/etc/systemd/system"

say() { printf 'install: %s\n' "$*"; }
# Commands that change the system outside the install root.
run() {
  if [ "$dry" = 1 ] || [ -n "$root" ]; then say "would run: $*"; else say "run: $*"; "$@"; fi
}

if [ "$dry" = 0 ] && [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo), or use --dry-run / --root DIR" >&2
  exit 1
fi

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "  On Raspberry Pi OS install it from NodeSource or the official binaries, then run this again." >&2
  exit 1
fi

say "copying $here to $dest"
mkdir -p "$dest"
# The checkout minus what is rebuilt or private (node_modules, dist, VCS data).
(cd "$here" && tar --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - .) | (cd "$dest" && tar -xf -)

if [ "$dry" = 1 ]; then
  say "would run: (cd $dest && npm ci && npm run build && npm prune --omit=dev)"
else
  say "installing dependencies and building (this compiles i2c-bus on the Pi)"
  (cd "$dest" && npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund)
fi

for g in gpio i2c dialout; do
  getent group "$g" >/dev/null 2>&1 || run groupadd --system "$g"
done
if ! id miner >/dev/null 2>&1; then
  run useradd --system --home-dir /var/lib/asic-agent --no-create-home --shell /usr/sbin/nologin --user-group miner
fi
run usermod -a -G gpio,i2c,dialout miner

mkdir -p "$etc"
chmod 0750 "$etc"
if [ -f "$etc/config.toml" ]; then
  say "keeping the existing $etc/config.toml"
else
  src="${config:-$dest/config.example.toml}"
  if [ ! -f "$src" ]; then
    echo "install.sh: no config to install ($src missing); pass --config FILE" >&2
    exit 1
  fi
  install -m 0600 "$src" "$etc/config.toml"
  say "installed $etc/config.toml (mode 0600): edit the pools and the board before starting"
fi
# Ownership needs the user to exist; inside a test root it only prints.
run chown -R miner:miner "$etc"

mkdir -p "$unitdir"
sed "s#/opt/asic-agent#$prefix#g" "$here/scripts/systemd/asic-agent.service" > "$unitdir/asic-agent.service"
chmod 0644 "$unitdir/asic-agent.service"
say "installed $unitdir/asic-agent.service"
run systemctl daemon-reload
run systemctl enable asic-agent.service
say "done. Check the config with: $prefix/bin/asic-agent.js check-config /etc/asic-agent/config.toml"
say "then start it with: sudo systemctl start asic-agent && journalctl -fu asic-agent"
