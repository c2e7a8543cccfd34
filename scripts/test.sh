#!/usr/bin/env bash
# The whole test suite: what CI runs (through .ci/run) and what a developer runs before pushing.
# Installs what is missing (the npm toolchain), then checks, in order of cost:
# artifacts fresh, forge tests, rustfmt, clippy -D warnings, all Rust tests, independent
# cross-checks (viem for EIP-712, circomlibjs for Poseidon/EdDSA).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

# A from-scratch build needs about 8 GB under target/; incremental caches only pay off when the
# same tree is rebuilt, so CI (always a fresh clone) turns them off: less disk, less time.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
free_kb=$(df -Pk . | awk 'NR==2 {print $4}')
echo "disk free here: $(( free_kb / 1024 / 1024 )) GiB (a clean build needs ~8 GiB)"
if [ "$free_kb" -lt $(( 10 * 1024 * 1024 )) ]; then
  echo "warning: under 10 GiB free; the build may fail with 'No space left on device'" >&2
fi

step "Solidity toolchain (npm ci in contracts/)"
# npm ci only when the lockfile changed since the last install (CI always starts clean).
lock_hash=$(sha256sum contracts/package-lock.json | cut -d' ' -f1)
if [ "$(cat contracts/node_modules/.debye-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > contracts/node_modules/.debye-lock-hash
else
  echo "contracts/node_modules matches package-lock.json"
fi

step "Contract artifacts are fresh"
bash contracts/script/check-artifacts.sh

step "forge test"
(cd contracts && npx --no-install forge test)

step "cargo fmt --check"
cargo fmt --all -- --check

step "No import cycle among the modules of any crate"
python3 scripts/import_cycles.py crates/*/ bin/*/

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi
cargo test --workspace --locked --doc

step "Adversarial scenarios on a real anvil node"
cargo run -q --locked -p debye-scenarios -- --json

step "Independent cross-checks"
for check in scripts/*/check-*.mjs test-vectors/*/check-*.mjs; do
  [ -f "$check" ] || continue
  echo "-- node $check"
  node "$check"
done

printf '\nAll checks passed in %ss.\n' "$(( $(date +%s) - start ))"
