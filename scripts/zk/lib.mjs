// Shared helpers for the debye-zk cross-check scripts: resolve circomlibjs from contracts/node_modules
// and read the committed vectors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { contractsRequire, repoRoot } from "../lib/check.mjs";

export { repoRoot };

/// Import a package from contracts/node_modules (pinned in contracts/package.json), whatever the cwd.
export async function fromContracts(name) {
  let entry;
  try {
    entry = contractsRequire.resolve(name);
  } catch (e) {
    console.error(`${name} not found: run \`npm ci\` in contracts/`);
    process.exit(2);
  }
  return import(pathToFileURL(entry).href);
}

export async function circomlibjs() {
  return fromContracts("circomlibjs");
}

export function readVectors(name) {
  return JSON.parse(readFileSync(join(repoRoot, "test-vectors", "zk", name), "utf8"));
}

export function report(name, checked, failures, against = "circomlibjs") {
  if (checked === 0) {
    console.error(`${name}: no vectors checked`);
    process.exit(1);
  }
  if (failures.length > 0) {
    for (const f of failures) console.error(`MISMATCH ${f}`);
    console.error(`${name}: ${failures.length} of ${checked} checks failed`);
    process.exit(1);
  }
  console.log(`${name}: ${checked} checks match ${against}`);
}
