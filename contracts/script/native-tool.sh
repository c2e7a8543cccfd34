#!/bin/sh
# Usage: script/native-tool.sh <forge|anvil> [args...]
# Runs the native Foundry binary that `npm ci` installed, by exec, so that the caller gets the
# tool's real exit status and process id. Do not use node_modules/.bin/{forge,anvil} for that:
# they are node wrappers (@foundry-rs/*/bin.mjs, 1.7.1) that always exit 0, even when forge fails,
# and that leave the real process running, orphaned, when the wrapper is SIGKILLed.
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
pkg="$root/node_modules/@foundry-rs"
# The platform package (what npm installs); then where the package's postinstall download and
# its wrapper's fallback would put the binary.
for bin in "$pkg/$tool-$platform/bin/$tool" "$pkg/$tool/$tool" "$pkg/$tool/dist/$tool"; do
  if [ -x "$bin" ]; then
    exec "$bin" "$@"
  fi
done
echo "native-tool.sh: no native $tool under $pkg; run \`npm ci\` in $root" >&2
exit 1
