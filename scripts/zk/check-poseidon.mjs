#!/usr/bin/env node
// Cross-check test-vectors/zk/poseidon.json (produced by crates/zk) against circomlibjs 0.1.7:
// both its wasm Poseidon and its reference implementation. Exits non-zero on any mismatch.
import { circomlibjs, readVectors, report } from "./lib.mjs";

const { buildPoseidon, buildPoseidonReference } = await circomlibjs();
const impls = { wasm: await buildPoseidon(), reference: await buildPoseidonReference() };
const { vectors } = readVectors("poseidon.json");

let checked = 0;
const failures = [];
for (const [i, v] of vectors.entries()) {
  const inputs = v.inputs.map((x) => BigInt(x));
  for (const [name, h] of Object.entries(impls)) {
    const got = h.F.toObject(h(inputs)).toString();
    checked += 1;
    if (got !== v.output) failures.push(`#${i} (${inputs.length} inputs, ${name}): expected ${v.output}, circomlibjs ${got}`);
  }
}
report("poseidon", checked, failures);
