#!/usr/bin/env bash
# Regenerates the committed artifacts (contracts/artifacts/*.json) from a fresh `forge build`.
# Usage: script/export-artifacts.sh [destination dir]   (default: contracts/artifacts)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest="${1:-artifacts}"
# ./forge: the pinned native forge, whatever the working directory (script/native-tool.sh).
./forge build >&2
node script/export-artifacts.mjs out "$dest"
