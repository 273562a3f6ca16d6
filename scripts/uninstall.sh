#!/usr/bin/env bash
# Removes the asic-agent service and program (every installed version), the /usr/local/bin/asic-agent
# link and the udev rule. The config (/etc/asic-agent), the state (/var/lib/asic-agent: tuning profiles)
# and the `miner` user are kept unless --purge is given.
#   sudo scripts/uninstall.sh [--prefix /opt/asic-agent] [--root DIR] [--dry-run] [--purge]
#   --root DIR   remove from DIR instead of / (the systemctl, udev and user steps are only printed)
#   --dry-run    change nothing: print every step instead
set -euo pipefail
root="/"
prefix="/opt/asic-agent"
dry=0
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --prefix) prefix="${2%/}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root="${root%/}"
say() { printf 'uninstall: %s\n' "$*"; }
# The one function every change goes through (as in install.sh): --dry-run prints everything, --root
# prints the steps outside the root.
act() {
  local kind="$1"; shift
  if [ "$dry" = 1 ]; then say "would run: $*"; return 0; fi
  if [ "$kind" = system ] && [ -n "$root" ]; then say "would run (outside --root): $*"; return 0; fi
  say "run: $*"
  "$@"
}
if [ "$dry" = 0 ] && [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "uninstall.sh: run as root (sudo), or use --dry-run / --root DIR" >&2
  exit 1
fi
case "$prefix" in /?*) ;; *) echo "uninstall.sh: --prefix must be an absolute path below /" >&2; exit 2 ;; esac

# Stopping the service puts the board in its safe state (the agent handles SIGTERM).
act system systemctl disable --now asic-agent.service
[ -e "$root/etc/systemd/system/asic-agent.service" ] && act file rm -f "$root/etc/systemd/system/asic-agent.service"
act system systemctl daemon-reload
[ -e "$root$prefix" ] && act file rm -rf "$root$prefix"
# The command link only if it is ours.
if [ -L "$root/usr/local/bin/asic-agent" ] && [ "$(readlink "$root/usr/local/bin/asic-agent")" = "$prefix/current/bin/asic-agent.js" ]; then
  act file rm -f "$root/usr/local/bin/asic-agent"
fi
if [ -e "$root/etc/udev/rules.d/60-asic-agent.rules" ]; then
  act file rm -f "$root/etc/udev/rules.d/60-asic-agent.rules"
  act system udevadm control --reload-rules
fi
say "removed $root$prefix, the unit and the command"
if [ "$purge" = 1 ]; then
  [ -e "$root/etc/asic-agent" ] && act file rm -rf "$root/etc/asic-agent"
  [ -e "$root/var/lib/asic-agent" ] && act file rm -rf "$root/var/lib/asic-agent"
  act system userdel miner
  say "purged the config, the state and the miner user"
else
  say "kept $root/etc/asic-agent and $root/var/lib/asic-agent (use --purge to remove them)"
fi
