#!/usr/bin/env node
// Independent cross-check of test-vectors/primitives/shielded_entries.json with viem (shares no
// code with the Rust crate), following docs/shielded.md §3:
//   extDataHash = uint256(keccak256(abi.encode(EXT_TAG, ext))) mod r
//   bodyHash    = keccak256(abi.encode(BODY_TAG, body))
//   leaf        = keccak256(0x00 ‖ abi.encode(head))
//   entriesRoot = binary tree over the leaves padded with 0 to 2^k, node keccak256(0x01 ‖ l ‖ r)
// plus every inclusion proof (and the ones built to fail, with their error codes) and a strict
// decoder for the bad encodings.
//
// Usage: node scripts/vectors/check-shielded.mjs   (after `npm ci` in contracts/)
// Exits non-zero on any mismatch.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checks, contractsRequire as require, repoRoot as root } from '../lib/check.mjs';
const { keccak256, toHex, encodeAbiParameters, decodeAbiParameters, concat } = require('viem');

const dir = process.env.DEBYE_VECTORS_DIR ?? join(root, 'test-vectors', 'primitives');
const f = JSON.parse(readFileSync(join(dir, 'shielded_entries.json'), 'utf8'));

const tally = new Checks('check-shielded', 'viem');
const check = (cond, what) => tally.check(cond, what);
const eq = (a, b, what) => tally.eq(a, b, what);

// ---------------------------------------------------------------- the ABI types, from the spec
const extDataType = {
  type: 'tuple',
  components: [
    { name: 'kind', type: 'uint8' },
    { name: 'recipient', type: 'address' },
    { name: 'feeRecipient', type: 'address' },
    { name: 'fee', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
    { name: 'chainId', type: 'uint64' },
    { name: 'anchor', type: 'address' },
    { name: 'policy', type: 'uint32' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'ctHash0', type: 'bytes32' },
    { name: 'ctHash1', type: 'bytes32' },
  ],
};
const headType = {
  type: 'tuple',
  components: [
    { name: 'kind', type: 'uint8' },
    { name: 'firstLeaf', type: 'uint64' },
    { name: 'checkpointRoot', type: 'bytes32' },
    { name: 'nullifier0', type: 'uint256' },
    { name: 'nullifier1', type: 'uint256' },
    { name: 'commitment0', type: 'uint256' },
    { name: 'commitment1', type: 'uint256' },
    { name: 'bodyHash', type: 'bytes32' },
  ],
};
const transferBodyType = {
  type: 'tuple',
  components: [
    { name: 'rootBlock', type: 'uint64' },
    { name: 'root', type: 'uint256' },
    { name: 'publicAmount', type: 'uint256' },
    { name: 'token', type: 'uint256' },
    { name: 'extDataHash', type: 'uint256' },
    { name: 'proof', type: 'uint256[8]' },
    { ...extDataType, name: 'ext' },
  ],
};
const depositBodyType = { type: 'tuple', components: [{ name: 'depositIndex', type: 'uint32' }] };
const sizes = { EntryHead: 256, TransferBody: 768, DepositBody: 32, ExtData: 352 };
const typeOf = { EntryHead: headType, TransferBody: transferBodyType, DepositBody: depositBodyType, ExtData: extDataType };

const big = (x) => BigInt(x);
const ZERO = `0x${'00'.repeat(32)}`;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const ext = (e) => ({
  kind: Number(big(e.kind)), recipient: e.recipient, feeRecipient: e.feeRecipient, fee: big(e.fee),
  expiry: big(e.expiry), chainId: big(e.chainId), anchor: e.anchor, policy: Number(big(e.policy)),
  nonce: e.nonce, ctHash0: e.ctHash0, ctHash1: e.ctHash1,
});
const head = (h) => ({
  kind: h.kind, firstLeaf: big(h.firstLeaf), checkpointRoot: h.checkpointRoot, nullifier0: big(h.nullifier0),
  nullifier1: big(h.nullifier1), commitment0: big(h.commitment0), commitment1: big(h.commitment1), bodyHash: h.bodyHash,
});
function encodeBody(b) {
  if (b.deposit) return encodeAbiParameters([depositBodyType], [{ depositIndex: Number(big(b.deposit.depositIndex)) }]);
  const t = b.transfer;
  return encodeAbiParameters([transferBodyType], [{
    rootBlock: big(t.rootBlock), root: big(t.root), publicAmount: big(t.publicAmount), token: big(t.token),
    extDataHash: big(t.extDataHash), proof: t.proof.map(big), ext: ext(t.ext),
  }]);
}

// ---------------------------------------------------------------- constants
const c = f.constants;
eq(keccak256(toHex('debye/shielded/v1/ext-data')), c.extTag, 'EXT_TAG');
eq(keccak256(toHex('debye/shielded/v1/body')), c.bodyTag, 'BODY_TAG');
check(big(c.bn254R) === R, 'r');
check(c.kinds.DEPOSIT === 1 && c.kinds.TRANSFER === 2 && c.kinds.EXIT === 3, 'kinds');

// ---------------------------------------------------------------- external data
for (const x of f.extData) {
  const enc = encodeAbiParameters([extDataType], [ext(x.ext)]);
  eq(enc, x.encoded, `ext ${x.name}: abi.encode(ext)`);
  const k = keccak256(encodeAbiParameters([{ type: 'bytes32' }, extDataType], [c.extTag, ext(x.ext)]));
  eq(k, x.keccak, `ext ${x.name}: keccak256(abi.encode(EXT_TAG, ext))`);
  check(big(k) % R === big(x.extDataHash), `ext ${x.name}: extDataHash = keccak mod r`);
}

// ---------------------------------------------------------------- entries
for (const x of f.entries) {
  const he = encodeAbiParameters([headType], [head(x.head)]);
  eq(he, x.headEncoded, `entry ${x.name}: abi.encode(head)`);
  const be = encodeBody(x.body);
  eq(be, x.bodyEncoded, `entry ${x.name}: abi.encode(body)`);
  const bh = keccak256(concat([c.bodyTag, be]));
  eq(bh, x.bodyHash, `entry ${x.name}: bodyHash`);
  eq(x.head.bodyHash, bh, `entry ${x.name}: head commits to body`);
  eq(keccak256(concat(['0x00', he])), x.leaf, `entry ${x.name}: leaf`);
  check(x.head.kind === (x.body.deposit ? 1 : 2), `entry ${x.name}: kind`);
  if (x.body.transfer) {
    const t = x.body.transfer;
    const k = keccak256(encodeAbiParameters([{ type: 'bytes32' }, extDataType], [c.extTag, ext(t.ext)]));
    check(big(k) % R === big(t.extDataHash), `entry ${x.name}: extDataHash of its ext`);
  }
}

// ---------------------------------------------------------------- entries tree
const node = (l, r) => keccak256(concat(['0x01', l, r]));
const depth = (n) => { let k = 0; while ((1 << k) < n) k++; return k; };
function rootOf(leaves) {
  if (leaves.length === 0) return ZERO;
  let level = [...leaves];
  while (level.length < (1 << depth(leaves.length))) level.push(ZERO);
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(node(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}
class VErr extends Error {}
function verify(rootHash, count, leaf, proof) {
  const index = Number(big(proof.index));
  if (index >= count || count > c.maxEntries) throw new VErr('EntryIndexOutOfRange');
  if (proof.siblings.length !== depth(count)) throw new VErr('WrongProofLength');
  let h = leaf;
  proof.siblings.forEach((s, level) => { h = (index >> level) & 1 ? node(s, h) : node(h, s); });
  if (h.toLowerCase() !== rootHash.toLowerCase()) throw new VErr('RootMismatch');
}
const outcome = (fn) => { try { fn(); return null; } catch (e) { if (e instanceof VErr) return e.message; throw e; } };
for (const t of f.trees) {
  eq(rootOf(t.leaves), t.root, `tree of ${t.entryCount}: root`);
  check(t.proofs.length === t.entryCount, `tree of ${t.entryCount}: a proof per entry`);
  t.proofs.forEach((p, i) => check(outcome(() => verify(t.root, t.entryCount, t.leaves[i], p)) === null, `tree of ${t.entryCount}: proof ${i}`));
}
for (const b of f.badProofs) {
  const got = outcome(() => verify(b.root, b.entryCount, b.leaf, b.proof));
  check(got === b.error, `bad proof ${b.name}: expected ${b.error}, got ${got}`);
}

// ---------------------------------------------------------------- strict decoding
function strictDecode(type, hex) {
  const len = (hex.length - 2) / 2;
  if (len > sizes[type]) return 'TooLarge';
  let v;
  try {
    [v] = decodeAbiParameters([typeOf[type]], hex);
  } catch {
    return 'Decode';
  }
  // viem does not reject dirty high bits, so re-encode: a canonical input is its re-encoding.
  if (len !== sizes[type]) return 'Decode';
  let again;
  try {
    again = encodeAbiParameters([typeOf[type]], [v]);
  } catch {
    return 'Decode';
  }
  if (again.toLowerCase() !== hex.toLowerCase()) return 'Decode';
  if (type === 'EntryHead' && v.kind !== 1 && v.kind !== 2) return 'UnknownEntryKind';
  return null;
}
for (const b of f.badEncodings) {
  eq(strictDecode(b.type, b.encoded), b.error, `bad encoding ${b.name}`);
}
for (const x of f.entries) {
  check(strictDecode('EntryHead', x.headEncoded) === null, `entry ${x.name}: head decodes`);
  check(strictDecode(x.body.deposit ? 'DepositBody' : 'TransferBody', x.bodyEncoded) === null, `entry ${x.name}: body decodes`);
}

tally.finish();
