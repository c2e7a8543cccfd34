#!/usr/bin/env bash
# Fails when the committed artifacts (contracts/artifacts/*.json) differ from what the current
# sources compile to. Regenerates them into a temporary directory and compares byte for byte.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash script/export-artifacts.sh "$tmp"
status=0
for fresh in "$tmp"/*.json; do
  name="$(basename "$fresh")"
  if [[ ! -f "artifacts/$name" ]]; then
    echo "check-artifacts: contracts/artifacts/$name is missing" >&2
    status=1
  elif ! cmp -s "$fresh" "artifacts/$name"; then
    echo "check-artifacts: contracts/artifacts/$name is stale (differs from a fresh build):" >&2
    diff -u "artifacts/$name" "$fresh" | head -40 >&2 || true
    status=1
  fi
done
for committed in artifacts/*.json; do
  if [[ ! -f "$tmp/$(basename "$committed")" ]]; then
    echo "check-artifacts: $committed is not produced by script/export-artifacts.sh" >&2
    status=1
  fi
done
if [[ $status -ne 0 ]]; then
  echo "check-artifacts: FAILED. Regenerate with \`bash contracts/script/export-artifacts.sh\` and commit contracts/artifacts/." >&2
  exit 1
fi
echo "check-artifacts: contracts/artifacts/ is up to date"
