#!/usr/bin/env node
// Cross-check test-vectors/zk/eddsa.json (signatures made by crates/zk) against circomlibjs 0.1.7:
// the public key is secret * Base8, eddsa.verifyPoseidon accepts each signature and rejects it
// for a different message. Exits non-zero on any mismatch.
//
// `--emit` instead prints signatures made by circomlibjs (fixed private keys) as JSON, committed as
// test-vectors/zk/eddsa_circomlibjs.json for crates/zk to verify natively and in-circuit.
import { circomlibjs, readVectors, report } from "./lib.mjs";

const { buildEddsa } = await circomlibjs();
const eddsa = await buildEddsa();
const babyJub = eddsa.babyJub;
const F = babyJub.F;
const pt = (p) => [F.e(BigInt(p[0])), F.e(BigInt(p[1]))];
const dec = (p) => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];

if (process.argv.includes("--emit")) {
  const vectors = [];
  for (let i = 0; i < 4; i++) {
    const prv = Buffer.alloc(32, 0);
    prv.write(`debye circomlibjs eddsa key ${i}`.slice(0, 32));
    const msg = BigInt(1000 + i) * 0x1234567890abcdefn;
    const A = eddsa.prv2pub(prv);
    const sig = eddsa.signPoseidon(prv, F.e(msg));
    vectors.push({ public: dec(A), msg: msg.toString(), r8: dec(sig.R8), s: sig.S.toString() });
  }
  const out = {
    description: "EdDSA-Poseidon signatures made by circomlibjs 0.1.7 (scripts/zk/check-eddsa.mjs --emit); crates/zk verifies them natively and in-circuit.",
    vectors,
  };
  console.log(JSON.stringify(out, null, 2));
  process.exit(0);
}

const { vectors } = readVectors("eddsa.json");
let checked = 0;
const failures = [];
for (const [i, v] of vectors.entries()) {
  const A = pt(v.public);
  const expectA = babyJub.mulPointEscalar(babyJub.Base8, BigInt(v.secret));
  checked += 1;
  if (!F.eq(A[0], expectA[0]) || !F.eq(A[1], expectA[1])) failures.push(`#${i}: public key != secret * Base8`);
  checked += 1;
  if (!babyJub.inSubgroup(A)) failures.push(`#${i}: public key not in the subgroup`);
  const sig = { R8: pt(v.r8), S: BigInt(v.s) };
  const msg = F.e(BigInt(v.msg));
  checked += 1;
  if (!eddsa.verifyPoseidon(msg, sig, A)) failures.push(`#${i}: circomlibjs rejects a valid signature`);
  checked += 1;
  if (eddsa.verifyPoseidon(F.add(msg, F.one), sig, A)) failures.push(`#${i}: circomlibjs accepts it for another message`);
}
report("eddsa", checked, failures);
