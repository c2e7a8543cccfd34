#!/usr/bin/env bash
# Regenerates the committed artifacts (contracts/artifacts/*.json) from a fresh `forge build`.
# Usage: script/export-artifacts.sh [destination dir]   (default: contracts/artifacts)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest="${1:-artifacts}"
# ./forge, not npx forge: the npm wrapper exits 0 even when the build fails.
./forge build >&2
node script/export-artifacts.mjs out "$dest"
