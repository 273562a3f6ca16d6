#!/usr/bin/env bash
# Makes a release tarball that installs without a network or a compiler: the package's files (what
# `npm pack` would ship), package-lock.json, the compiled dist/ and the production node_modules with the
# native modules built for THIS machine. So make it on the kind of board it is for (a Pi 4 release runs
# on a Pi 4 / Pi 3 with a 64-bit OS), or on a machine of the same architecture and Node.js ABI:
# release.json records both and `asic-agent upgrade` / `install.sh --from` refuse a mismatch.
#
#   scripts/release.sh [--out DIR] [--no-build] [--with-dev-deps]
#   --no-build        no dist/: the launcher runs the TypeScript sources through tsx (slower start, more RAM)
#   --with-dev-deps   keep the dev dependencies (among them the pseudo-terminal addon the simulated boards
#                     need) and the workshop (scripts/install/workshop-paths: lab servers, simulators,
#                     tests): a release for a test bench that runs the simulators, not for a miner
# Prints the path of the tarball on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here"
build=1
dev=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --with-dev-deps) dev=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "release.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$here"
[ -d node_modules ] || { echo "release.sh: run npm ci first" >&2; exit 1; }
version="$(node -p 'require("./package.json").version')"
platform="$(node -p 'process.platform')"
arch="$(node -p 'process.arch')"
abi="$(node -p 'process.versions.modules')"
name="asic-agent-$version"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
dst="$stage/$name"
mkdir -p "$dst" "$out"

if [ "$build" = 1 ]; then
  echo "release: building dist/" >&2
  npm run --silent build >&2
fi
# The files npm pack would ship (package.json "files", .npmignore / .gitignore), then the lock file.
npm pack --dry-run --json 2>/dev/null | node -e 'for (const f of JSON.parse(require("fs").readFileSync(0, "utf8"))[0].files) console.log(f.path)' > "$stage/files"
tar -cf - -T "$stage/files" package-lock.json | tar -xf - -C "$dst"
[ "$build" = 1 ] && cp -a dist "$dst/dist"
# node_modules as built here; a file: dependency is a link to a folder of this checkout, so it is copied
# as a folder.
cp -a node_modules "$dst/node_modules"
find node_modules -mindepth 1 -maxdepth 2 -type l -not -path 'node_modules/.bin/*' | while read -r l; do
  rm "$dst/$l"
  cp -aL "$l" "$dst/$l"
done
if [ "$dev" = 0 ]; then
  (cd "$dst" && npm prune --omit=dev --no-audit --no-fund --offline >&2)
  # A miner gets the product only: no lab servers, simulators, tests or benchmarks (the workshop).
  grep -v '^#' scripts/install/workshop-paths | sed '/^$/d' | while read -r p; do rm -rf "${dst:?}/$p" "$dst/dist/$p"; done
fi
cat > "$dst/release.json" <<EOF
{
  "name": "asic-agent",
  "version": "$version",
  "platform": "$platform",
  "arch": "$arch",
  "nodeModulesAbi": "$abi",
  "node": "$(node --version)",
  "dist": $([ "$build" = 1 ] && echo true || echo false),
  "devDependencies": $([ "$dev" = 1 ] && echo true || echo false),
  "workshop": $([ "$dev" = 1 ] && echo true || echo false),
  "madeAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
file="$out/$name-$platform-$arch-abi$abi.tar.gz"
tar -czf "$file" -C "$stage" "$name"
echo "$file"
