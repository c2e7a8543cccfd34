#!/bin/sh
# Usage: script/native-tool.sh <forge|anvil> [args...]
# Runs the native Foundry binary that `npm ci` installed (the @foundry-rs/<tool>-<platform>
# package), by exec: the caller gets the tool's own exit status and process id, from any working
# directory. node_modules/.bin/<tool> links to the same binary on the platforms we lock.
tool=$1
shift
case "$tool" in
  forge | anvil) ;;
  *) echo "native-tool.sh: unknown tool '$tool' (expected forge or anvil)" >&2; exit 2 ;;
esac
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-amd64 ;;
  Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  Darwin-x86_64) platform=darwin-amd64 ;;
  *) echo "native-tool.sh: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
bin="$root/node_modules/@foundry-rs/$tool-$platform/bin/$tool"
if [ ! -x "$bin" ]; then
  echo "native-tool.sh: $bin is missing: run \`npm ci\` in $root (package.json locks $tool" >&2
  echo "for the platforms whose @foundry-rs/$tool-* package the registry has)" >&2
  exit 1
fi
exec "$bin" "$@"
