#!/usr/bin/env node
// Cross-check test-vectors/zk/notes.json (produced by crates/zk) with independent implementations:
// circomlibjs 0.1.7 Poseidon for owner fields, owner parts, split commitments, CM_ZERO, nullifiers, tree roots and the intent
// digest; viem for the external-data ABI encoding and keccak; Node's own X25519, HKDF-SHA256 and
// ChaCha20-Poly1305 to decrypt the note ciphertext. Exits non-zero on any mismatch.
import crypto from "node:crypto";
import { circomlibjs, fromContracts, readVectors, report } from "./lib.mjs";

const { buildPoseidon } = await circomlibjs();
const { encodeAbiParameters, keccak256 } = await fromContracts("viem");
const poseidon = await buildPoseidon();
const H = (xs) => poseidon.F.toObject(poseidon(xs.map((x) => BigInt(x))));
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const v = readVectors("notes.json");

let checked = 0;
const failures = [];
const eq = (what, got, want) => {
  checked += 1;
  if (String(got) !== String(want)) failures.push(`${what}: expected ${want}, got ${got}`);
};

// §3.6 owner field.
const k = v.keys;
eq("owner", H([k.auth_public[0], k.auth_public[1], k.nullifier_key]), k.owner);

// §4.1 split commitments (docs/shielded.md S-4.1), §4.2 nullifiers.
for (const [i, n] of v.notes.entries()) {
  const part = H([3n, n.owner, n.randomness]);
  eq(`note ${i} owner part`, part, n.owner_part);
  const cm = H([part, n.token, n.amount]);
  eq(`note ${i} commitment`, cm, n.commitment);
  eq(`note ${i} nullifier`, H([k.nullifier_key, cm, n.position]), n.nullifier);
}

eq("CM_ZERO", H([0n, 0n, 0n]), v.cm_zero);

// §5 tree: sparse root over the leaves so far, zero leaves 0.
const depth = v.tree.depth;
const zeros = [0n];
for (let l = 0; l < depth; l++) zeros.push(H([zeros[l], zeros[l]]));
eq("empty root", zeros[depth], v.tree.empty_root);
const root = (leaves) => {
  let layer = leaves.map(BigInt);
  for (let l = 0; l < depth; l++) {
    if (layer.length % 2 === 1) layer.push(zeros[l]);
    const next = [];
    for (let i = 0; i < layer.length; i += 2) next.push(H([layer[i], layer[i + 1]]));
    layer = next.length ? next : [zeros[l + 1]];
  }
  return layer[0];
};
for (let i = 0; i < v.notes.length; i++) {
  eq(`root after ${i + 1} leaves`, root(v.notes.slice(0, i + 1).map((n) => n.commitment)), v.tree.roots_after_each_append[i]);
}

// §6.8 external data v1 (docs/shielded.md S-3.4): abi.encode(EXT_TAG, ExtData) with viem.
eq("EXT_TAG", keccak256(new TextEncoder().encode("debye/shielded/v1/ext-data")), v.ext_data.tag);
const EXT = {
  type: "tuple",
  components: [
    { name: "kind", type: "uint8" }, { name: "recipient", type: "address" },
    { name: "feeRecipient", type: "address" }, { name: "fee", type: "uint64" },
    { name: "expiry", type: "uint64" }, { name: "chainId", type: "uint64" },
    { name: "anchor", type: "address" }, { name: "policy", type: "uint32" },
    { name: "nonce", type: "bytes32" }, { name: "ctHash0", type: "bytes32" },
    { name: "ctHash1", type: "bytes32" },
  ],
};
for (const which of ["exit", "transfer"]) {
  const e = v.ext_data[which];
  if (e.ciphertexts) {
    eq(`${which} ctHash0`, keccak256(e.ciphertexts[0]), e.ct_hash[0]);
    eq(`${which} ctHash1`, keccak256(e.ciphertexts[1]), e.ct_hash[1]);
  }
  const encoded = encodeAbiParameters([{ type: "bytes32" }, EXT], [v.ext_data.tag, {
    kind: e.kind, recipient: e.recipient, feeRecipient: e.fee_recipient, fee: BigInt(e.fee),
    expiry: BigInt(e.expiry), chainId: BigInt(e.chain_id), anchor: e.anchor, policy: e.policy,
    nonce: e.nonce, ctHash0: e.ct_hash[0], ctHash1: e.ct_hash[1],
  }]);
  eq(`${which} ext data abi.encode`, encoded, e.abi_encoded);
  eq(`${which} ext data hash`, BigInt(keccak256(encoded)) % R, e.hash);
}

// §6.10 intent digest.
const pi = v.intent.public_inputs;
eq("intent digest", H([2n, pi[1], pi[2], pi[3], pi[4], pi[5], pi[6], pi[7]]), v.intent.digest);

// §4.3 note encryption, decrypted with Node's crypto.
const ne = v.note_encryption;
const secret = Buffer.from(ne.viewing_secret, "hex");
const priv = crypto.createPrivateKey({
  key: Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), secret]),
  format: "der",
  type: "pkcs8",
});
const vpk = crypto.createPublicKey(priv).export({ type: "spki", format: "der" }).subarray(12);
eq("viewing public key", vpk.toString("hex"), ne.viewing_public);
const ct = Buffer.from(ne.ciphertext, "hex");
eq("ciphertext length", ct.length, 123);
eq("version", ct[0], 1);
const epk = ct.subarray(1, 33);
const shared = crypto.diffieHellman({
  privateKey: priv,
  publicKey: crypto.createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), epk]),
    format: "der",
    type: "spki",
  }),
});
const okm = Buffer.from(crypto.hkdfSync("sha256", shared, Buffer.concat([epk, vpk]), "debye/zk/v1/note-encryption", 34));
eq("detection tag", ct.subarray(33, 35).toString("hex"), okm.subarray(32, 34).toString("hex"));
try {
  const d = crypto.createDecipheriv("chacha20-poly1305", okm.subarray(0, 32), Buffer.alloc(12), { authTagLength: 16 });
  d.setAAD(ct.subarray(0, 35), { plaintextLength: ct.length - 35 - 16 });
  d.setAuthTag(ct.subarray(ct.length - 16));
  const pt = Buffer.concat([d.update(ct.subarray(35, ct.length - 16)), d.final()]);
  eq("plaintext token", BigInt("0x" + pt.subarray(0, 32).toString("hex")), ne.token);
  eq("plaintext amount", pt.readBigUInt64BE(32), ne.amount);
  eq("plaintext randomness", BigInt("0x" + pt.subarray(40, 72).toString("hex")), ne.randomness);
} catch (err) {
  checked += 1;
  failures.push(`note decryption failed: ${err.message}`);
}

report("notes", checked, failures, "circomlibjs, viem and node:crypto");
