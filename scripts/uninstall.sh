#!/usr/bin/env bash
# Removes the asic-agent service and program files. The config (/etc/asic-agent) and the `miner` user are
# kept unless --purge is given.
#   sudo scripts/uninstall.sh [--prefix /opt/asic-agent] [--root DIR] [--dry-run] [--purge]
set -euo pipefail
root="/"
prefix="/opt/asic-agent"
dry=0
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root="${root%/}"
say() { printf 'uninstall: %s\n' "$*"; }
run() {
  if [ "$dry" = 1 ] || [ -n "$root" ]; then say "would run: $*"; else say "run: $*"; "$@"; fi
}
if [ "$dry" = 0 ] && [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "uninstall.sh: run as root (sudo), or use --dry-run / --root DIR" >&2
  exit 1
fi
# Stopping the service puts the board in its safe state (the agent handles SIGTERM).
run systemctl disable --now asic-agent.service
rm -f "$root/etc/systemd/system/asic-agent.service"
run systemctl daemon-reload
rm -rf "$root$prefix"
say "removed $root$prefix and the unit"
if [ "$purge" = 1 ]; then
  rm -rf "$root/etc/asic-agent"
  run userdel miner
  say "purged the config and the miner user"
else
  say "kept $root/etc/asic-agent (use --purge to remove it)"
fi
