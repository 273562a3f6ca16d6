#!/usr/bin/env bash
# Installs asic-agent as a boot service on Raspberry Pi OS (or any Debian-based Linux with systemd).
#
#   sudo scripts/install.sh [--config FILE] [--from RELEASE.tar.gz] [--node PATH] [--prefix /opt/asic-agent]
#                           [--root DIR] [--dry-run]
#
# Layout: the program in PREFIX/versions/<version>-<stamp>, PREFIX/current linking to the one in use
# (`asic-agent upgrade` adds versions next to it), /usr/local/bin/asic-agent linking to its launcher, the
# config at /etc/asic-agent/config.toml (mode 0600, owner miner; an existing one is always kept), state
# (tuning profiles) in /var/lib/asic-agent, the unit at /etc/systemd/system/asic-agent.service.
# The program comes from this checkout (npm ci, build, drop dev dependencies) or, with --from, from a
# release made by scripts/release.sh (dependencies included, nothing built here). Without --config the
# installer writes a config that refuses to start until you name your board and pool, and leaves the
# service disabled; run it again once `asic-agent check-config` says ok: that rewrites the unit for the
# board (DeviceAllow=, TimeoutStopSec=) and enables the service. Running it from an installed version
# (PREFIX/current/scripts/install.sh) reuses that version.
#   --node PATH  the Node.js the unit runs (default: `node` on PATH, as found now)
#   --root DIR   install into DIR instead of / (packaging, tests): files are written under DIR, the
#                user, udev and systemctl steps are only printed
#   --dry-run    change nothing: print every step instead
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd -P)"
root="/"
prefix="/opt/asic-agent"
config=""
from=""
node=""
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --prefix) prefix="${2%/}"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    --node) node="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root="${root%/}"
dest="$root$prefix"
etc="$root/etc/asic-agent"
unitdir="$root/etc/systemd/system"

say() { printf 'install: %s\n' "$*"; }

# Every step that changes anything goes through act: "file" steps write inside the install root, "system"
# steps change users, udev or services outside it. --dry-run prints both kinds; --root DIR prints only the
# system steps (they cannot be confined to DIR). Nothing else in this script writes.
act() {
  local kind="$1"; shift
  local shown="$*"
  # A file's content is not worth a screen of output: its path, mode and size are.
  [ "$1" = write_file ] && shown="write_file $2 (mode $3, ${#4} bytes)"
  if [ "$dry" = 1 ]; then say "would run: $shown"; return 0; fi
  if [ "$kind" = system ] && [ -n "$root" ]; then say "would run (outside --root): $shown"; return 0; fi
  say "run: $shown"
  "$@"
}
# Helpers act runs (so that a redirection or a pipe is one step).
# The workshop (lab servers, simulators, tests, benchmarks: scripts/install/workshop-paths) stays behind.
workshop_excludes() { grep -v '^#' "$1/scripts/install/workshop-paths" | sed '/^$/d; s#^#--exclude=./#'; }
copy_tree() { mkdir -p "$2" && (cd "$1" && tar --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./native/pty/build $(workshop_excludes "$1") -cf - .) | (cd "$2" && tar -xf -); }
unpack_release() { mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1; }
build_in() { (cd "$1" && npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund); }
write_file() { printf '%s' "$3" > "$1" && chmod "$2" "$1"; }
link() { mkdir -p "$(dirname "$2")" && ln -sfn "$1" "$2.new" && mv -Tf "$2.new" "$2"; }

if [ "$dry" = 0 ] && [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo), or use --dry-run / --root DIR" >&2
  exit 1
fi
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac
if printf '%s' "$prefix" | grep -q '[[:space:]]'; then echo "install.sh: --prefix must not contain spaces" >&2; exit 2; fi

# The Node.js binary the unit will run, found now (official builds live in /usr/local/bin, Debian's and
# NodeSource's in /usr/bin).
if [ -z "$node" ]; then node="$(command -v node || true)"; fi
node_major="$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ -z "$node" ] || [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js >= 20 is required (found: ${node:-none} $("$node" --version 2>/dev/null || true))." >&2
  echo "  On Raspberry Pi OS install it from NodeSource or the official binaries (docs/deploy.md), then run this again." >&2
  exit 1
fi
case "$node" in /*) ;; *) node="$(cd "$(dirname "$node")" && pwd)/$(basename "$node")" ;; esac
say "Node.js $("$node" --version) at $node"

# 1. The program, in its own version folder.
version="$("$node" -p 'require(process.argv[1]).version' "$here/package.json")"
case "$here/" in
  "$dest/versions/"*)
    vdir="$here"
    say "using the installed version $vdir"
    ;;
  *)
    if [ -n "$from" ]; then
      [ -f "$from" ] || { echo "install.sh: no release file $from" >&2; exit 1; }
      version="$(tar -xzOf "$from" --wildcards --no-wildcards-match-slash '*/package.json' 2>/dev/null | "$node" -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8")); if (p.name === "asic-agent") console.log(p.version)' 2>/dev/null || true)"
      [ -n "$version" ] || { echo "install.sh: $from is not an asic-agent release (no package.json naming asic-agent)" >&2; exit 1; }
      # awk reads the whole listing (grep -q would stop tar half way, and pipefail would call that a failure).
      if ! tar -tzf "$from" | awk '/^[^/]*\/node_modules\// { f = 1 } END { exit !f }'; then
        echo "install.sh: $from has no node_modules: it is not a release from scripts/release.sh (for an npm pack tarball use asic-agent upgrade)" >&2
        exit 1
      fi
    fi
    vdir="$dest/versions/$version-$(date -u +%Y%m%d%H%M%S)"
    if [ -n "$from" ]; then
      say "installing release $from into $vdir"
      act file unpack_release "$from" "$vdir"
    else
      say "copying $here to $vdir"
      act file copy_tree "$here" "$vdir"
      say "installing dependencies and building (this compiles i2c-bus on the Pi)"
      act file build_in "$vdir"
    fi
    ;;
esac
# The unit runs PREFIX/current; the link is relative so that the tree can be moved as a whole.
act file link "versions/$(basename "$vdir")" "$dest/current"
act file link "$prefix/current/bin/asic-agent.js" "$root/usr/local/bin/asic-agent"

# 2. The service user and its device groups (gpio, i2c: GPIO and I2C; dialout: the UARTs).
for g in gpio i2c dialout; do
  getent group "$g" >/dev/null 2>&1 || act system groupadd --system "$g"
done
if ! id miner >/dev/null 2>&1; then
  act system useradd --system --home-dir /var/lib/asic-agent --no-create-home --shell /usr/sbin/nologin --user-group miner
fi
act system usermod -a -G gpio,i2c,dialout miner
# Raspberry Pi OS gives the gpio and i2c groups their devices (99-com.rules); other boards get our rule.
if [ -e "$root/usr/lib/udev/rules.d/99-com.rules" ] || [ -e "$root/lib/udev/rules.d/99-com.rules" ] || [ -e "$root/etc/udev/rules.d/99-com.rules" ]; then
  say "this OS already grants the gpio and i2c groups their devices (99-com.rules)"
else
  act file mkdir -p "$root/etc/udev/rules.d"
  act file install -m 0644 "$here/scripts/udev/60-asic-agent.rules" "$root/etc/udev/rules.d/60-asic-agent.rules"
  act system udevadm control --reload-rules
  act system udevadm trigger --subsystem-match=gpio --subsystem-match=i2c-dev
fi

# 3. The config: an existing one is always kept.
act file mkdir -p "$etc"
act file chmod 0750 "$etc"
if [ -f "$etc/config.toml" ]; then
  say "keeping the existing $etc/config.toml"
elif [ -n "$config" ]; then
  [ -f "$config" ] || { echo "install.sh: no config file $config" >&2; exit 1; }
  act file install -m 0600 "$config" "$etc/config.toml"
else
  act file install -m 0600 "$here/scripts/install/first-config.toml" "$etc/config.toml"
  say "wrote $etc/config.toml: it names no board and no pool yet, and the agent refuses to start until it does"
fi
act system chown -R miner:miner "$etc"

# 4. The unit, rendered for this Node.js and this config by the installed version itself.
launcher="$vdir/bin/asic-agent.js"
[ "$dry" = 1 ] && [ ! -e "$launcher" ] && launcher="$here/bin/asic-agent.js"
config_now="$etc/config.toml"
[ -f "$config_now" ] || config_now="${config:-$here/scripts/install/first-config.toml}"
if ! unit_text="$("$node" "$launcher" unit --config /etc/asic-agent/config.toml --read "$config_now" --node "$node" --prefix "$prefix" 2>/dev/null)"; then
  if [ "$dry" = 0 ]; then echo "install.sh: $launcher unit failed: is the program complete?" >&2; exit 1; fi
  unit_text="(rendered by asic-agent unit once the program is installed)"
fi
act file mkdir -p "$unitdir"
act file write_file "$unitdir/asic-agent.service" 0644 "$unit_text"
act system systemctl daemon-reload
if "$node" "$launcher" check-config "$config_now" >/dev/null 2>&1; then
  act system systemctl enable asic-agent.service
  say "done. Start it with: sudo systemctl start asic-agent && journalctl -fu asic-agent"
else
  say "the config does not check yet, so the service is not enabled. What is left to fill in:"
  "$node" "$launcher" check-config "$config_now" 2>&1 | sed 's/^/install:   /' || true
  say "edit /etc/asic-agent/config.toml, check it with: asic-agent check-config /etc/asic-agent/config.toml"
  say "then run this installer again: sudo $prefix/current/scripts/install.sh"
fi
