#!/usr/bin/env node
// Independent cross-check of test-vectors/primitives/*.json with viem (an implementation that
// shares no code with the Rust crate or PrimeLib.sol).
//
// Checks:
//   transactions.json: EIP-712 type strings/hashes, domain separator, struct hash and digest
//     (= tx id) of every valid transaction; signer recovery of every signature; low-s; that viem
//     signing with the committed private keys (RFC 6979) reproduces the committed signatures
//     byte for byte; the ABI encodings of the transaction and the signed transaction.
//   trees.json: every root recomputed from the leaves (pairwise, odd node promoted); every proof
//     and malformed case run through a JS verifier that follows docs/formats.md step by step
//     and must report the committed error code (or success).
//   headers.json: keccak256(abi.encode(header)) and the encoding.
//
// Usage: node scripts/vectors/check-eip712.mjs   (after `npm ci` in contracts/)
// Exits non-zero on any mismatch.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checks, contractsRequire as require, repoRoot as root } from '../lib/check.mjs';
const {
  hashTypedData, hashStruct, hashDomain, keccak256, toHex, recoverAddress, parseSignature,
  encodeAbiParameters, decodeAbiParameters, encodePacked, getAddress, isAddressEqual,
} = require('viem');
const { privateKeyToAccount } = require('viem/accounts');

const dir = process.env.DEBYE_VECTORS_DIR ?? join(root, 'test-vectors', 'primitives');
const load = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

const tally = new Checks('check-eip712', 'viem');
const check = (cond, what) => tally.check(cond, what);
const eq = (a, b, what) => tally.eq(a, b, what);

// ---------------------------------------------------------------- EIP-712 types (from the spec)
const types = {
  Segment: [
    { name: 'start', type: 'uint256' },
    { name: 'end', type: 'uint256' },
  ],
  Input: [
    { name: 'owner', type: 'address' },
    { name: 'blockIndex', type: 'uint64' },
    { name: 'txIndex', type: 'uint32' },
    { name: 'outputIndex', type: 'uint8' },
    { name: 'segment', type: 'Segment' },
  ],
  Output: [
    { name: 'owner', type: 'address' },
    { name: 'segment', type: 'Segment' },
  ],
  Transaction: [
    { name: 'inputs', type: 'Input[]' },
    { name: 'outputs', type: 'Output[]' },
    { name: 'maxBlockIndex', type: 'uint64' },
  ],
};
const domainTypes = {
  EIP712Domain: [
    { name: 'name', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'chainId', type: 'uint256' },
    { name: 'verifyingContract', type: 'address' },
  ],
};

// EIP-712 encodeType, written out from the EIP: primary type, then referenced types sorted.
function encodeType(primary, all) {
  const deps = new Set();
  const walk = (t) => {
    for (const f of all[t]) {
      const base = f.type.replace(/\[\]$/, '');
      if (all[base] && !deps.has(base) && base !== primary) {
        deps.add(base);
        walk(base);
      }
    }
  };
  walk(primary);
  const one = (t) => `${t}(${all[t].map((f) => `${f.type} ${f.name}`).join(',')})`;
  return [one(primary), ...[...deps].sort().map(one)].join('');
}

// ABI tuple types matching PrimeLib.sol / debye_primitives::abi.
const segmentAbi = { type: 'tuple', components: [{ name: 'start', type: 'uint256' }, { name: 'end', type: 'uint256' }] };
const txAbi = {
  type: 'tuple',
  components: [
    { name: 'inputs', type: 'tuple[]', components: [
      { name: 'owner', type: 'address' }, { name: 'blockIndex', type: 'uint64' },
      { name: 'txIndex', type: 'uint32' }, { name: 'outputIndex', type: 'uint8' },
      { name: 'segment', ...segmentAbi },
    ] },
    { name: 'outputs', type: 'tuple[]', components: [{ name: 'owner', type: 'address' }, { name: 'segment', ...segmentAbi }] },
    { name: 'maxBlockIndex', type: 'uint64' },
  ],
};
const signedTxAbi = { type: 'tuple', components: [{ name: 'transaction', ...txAbi }, { name: 'signatures', type: 'bytes' }] };
const proofAbi = {
  type: 'tuple',
  components: [
    { name: 'leafLength', type: 'uint256' },
    { name: 'path', type: 'uint64' },
    { name: 'siblings', type: 'tuple[]', components: [{ name: 'length', type: 'uint256' }, { name: 'hash', type: 'bytes32' }] },
  ],
};
// docs/formats.md §7: number, prevHash, txRoot, accumulator, noteRoot, noteCount, entriesRoot,
// entryCount, depositCursor, exitCursor, timestamp.
const headerAbi = [
  { type: 'uint64' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' },
  { type: 'uint64' }, { type: 'bytes32' }, { type: 'uint32' }, { type: 'uint32' }, { type: 'uint32' },
  { type: 'uint64' },
];

const big = (x) => BigInt(x);
const seg = (s) => ({ start: big(s.start), end: big(s.end) });
const message = (tx) => ({
  inputs: tx.inputs.map((i) => ({
    owner: getAddress(i.owner),
    blockIndex: big(i.blockIndex),
    txIndex: Number(big(i.txIndex)),
    outputIndex: Number(big(i.outputIndex)),
    segment: seg(i.segment),
  })),
  outputs: tx.outputs.map((o) => ({ owner: getAddress(o.owner), segment: seg(o.segment) })),
  maxBlockIndex: big(tx.maxBlockIndex),
});

const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

// ---------------------------------------------------------------- transactions.json
async function checkTransactions() {
  const f = load('transactions.json');
  const domain = {
    name: f.domain.name,
    version: f.domain.version,
    chainId: Number(big(f.domain.chainId)),
    verifyingContract: getAddress(f.domain.verifyingContract),
  };
  eq(hashDomain({ domain, types: domainTypes }), f.domainSeparator, 'domain separator');
  for (const name of ['Segment', 'Input', 'Output', 'Transaction']) {
    const enc = encodeType(name, types);
    eq(f.types[name].encodeType, enc, `encodeType ${name}`);
    eq(f.types[name].typeHash, keccak256(toHex(enc)), `typeHash ${name}`);
  }
  const domainEnc = encodeType('EIP712Domain', domainTypes);
  eq(f.types.EIP712Domain.encodeType, domainEnc, 'encodeType EIP712Domain');
  eq(f.types.EIP712Domain.typeHash, keccak256(toHex(domainEnc)), 'typeHash EIP712Domain');

  const accounts = new Map();
  for (const k of f.keys) {
    const acct = privateKeyToAccount(k.privateKey);
    eq(acct.address, getAddress(k.address), `address of key ${k.address}`);
    accounts.set(acct.address.toLowerCase(), acct);
  }

  check(f.valid.length > 0, 'has valid vectors');
  for (const v of f.valid) {
    const msg = message(v.transaction);
    const typed = { domain, types, primaryType: 'Transaction', message: msg };
    const digest = hashTypedData(typed);
    eq(digest, v.txId, `${v.name}: digest`);
    eq(hashStruct({ data: msg, primaryType: 'Transaction', types }), v.structHash, `${v.name}: struct hash`);
    // Distinct input owners in first-appearance order.
    const owners = [];
    for (const i of msg.inputs) if (!owners.some((o) => isAddressEqual(o, i.owner))) owners.push(i.owner);
    check(owners.length === v.signers.length, `${v.name}: signer count`);
    owners.forEach((o, i) => eq(o, getAddress(v.signers[i]), `${v.name}: owner ${i}`));
    check(v.signatures.length === v.signers.length, `${v.name}: one signature per owner`);
    for (const [i, sig] of v.signatures.entries()) {
      const rec = await recoverAddress({ hash: digest, signature: sig });
      eq(rec, getAddress(v.signers[i]), `${v.name}: recovered signer ${i}`);
      const p = parseSignature(sig);
      check(big(p.s) <= HALF_N, `${v.name}: signature ${i} is low-s`);
      check(sig.length === 2 + 130 && ['1b', '1c'].includes(sig.slice(-2)), `${v.name}: signature ${i} is 65 bytes with v 27/28`);
      const acct = accounts.get(v.signers[i].toLowerCase());
      check(acct !== undefined, `${v.name}: key for signer ${i} is committed`);
      if (acct) eq(await acct.signTypedData(typed), sig, `${v.name}: viem re-signature ${i} (RFC 6979)`);
    }
    eq(encodeAbiParameters([txAbi], [msg]), v.encodedTransaction, `${v.name}: ABI encoding of the transaction`);
    const sigBytes = `0x${v.signatures.map((s) => s.slice(2)).join('')}`;
    eq(encodeAbiParameters([signedTxAbi], [{ transaction: msg, signatures: sigBytes }]), v.encoded,
      `${v.name}: ABI encoding of the signed transaction`);
  }
}

// ---------------------------------------------------------------- trees.json
const COIN_SPACE_END = 1n << 160n;
const U256_MAX = (1n << 256n) - 1n;
const ZERO = `0x${'00'.repeat(32)}`;
const nodeHash = (l, r) => keccak256(encodePacked(['uint256', 'bytes32', 'uint256', 'bytes32'], [l.length, l.hash, r.length, r.hash]));

class VErr extends Error {}
const fail = (code) => { throw new VErr(code); };

// Segment rules (docs/formats.md "Segments").
function checkSegment(s) {
  const start = big(s.start);
  const end = big(s.end);
  if (start >= end) fail('EmptySegment');
  if (end > COIN_SPACE_END) fail('SegmentOutOfSpace');
  if (start >> 128n !== (end - 1n) >> 128n) fail('SegmentCrossesToken');
  return { start, end };
}

// Proof verification (docs/formats.md "Verifying a proof"), returns nothing or throws the code.
function verifyProof(kind, rootHash, segment, txId, encoded) {
  const { start, end } = checkSegment(segment);
  let leafHash = ZERO;
  if (kind === 'inclusion') {
    if (big(txId) === 0n) fail('ZeroTxId');
    leafHash = txId;
  }
  const [p] = decodeAbiParameters([proofAbi], encoded);
  const n = p.siblings.length;
  if (n > 64) fail('ProofTooLong');
  if (n < 64 && p.path >> BigInt(n) !== 0n) fail('NonCanonicalPath');
  let node = { length: p.leafLength, hash: leafHash };
  let leftSum = 0n;
  p.siblings.forEach((sib, i) => {
    const len = node.length + sib.length;
    if (len > U256_MAX) fail('ProofOverflow');
    if ((p.path >> BigInt(i)) & 1n) {
      leftSum += sib.length; // <= len, cannot overflow if len did not
      node = { length: len, hash: nodeHash(sib, node) };
    } else {
      node = { length: len, hash: nodeHash(node, sib) };
    }
  });
  if (node.length !== COIN_SPACE_END) fail('WrongTotalLength');
  if (node.hash.toLowerCase() !== rootHash.toLowerCase()) fail('RootMismatch');
  if (start < leftSum || end > leftSum + p.leafLength) fail('SegmentOutsideLeaf');
}

function outcome(fn) {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof VErr) return e.message;
    throw e;
  }
}

function checkTrees() {
  const f = load('trees.json');
  eq(big(f.coinSpaceEnd), COIN_SPACE_END, 'coin space end');
  for (const t of f.trees) {
    let level = t.leaves.map((l) => ({ length: big(l.length), hash: l.hash }));
    let cursor = 0n;
    for (const l of t.leaves) {
      eq(big(l.start), cursor, `${t.name}: leaf start`);
      cursor += big(l.length);
    }
    eq(cursor, COIN_SPACE_END, `${t.name}: leaves tile the coin space`);
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i < level.length; i += 2) {
        next.push(i + 1 < level.length
          ? { length: level[i].length + level[i + 1].length, hash: nodeHash(level[i], level[i + 1]) }
          : level[i]);
      }
      level = next;
    }
    eq(level[0].hash, t.root, `${t.name}: root`);
    for (const p of t.proofs) {
      const got = outcome(() => verifyProof(p.kind, t.root, p.segment, p.txId, p.encoded));
      check(got === null, `${t.name}: ${p.kind} proof of leaf ${p.leafIndex} fails with ${got}`);
      const leaf = t.leaves[p.leafIndex];
      eq(p.kind === 'inclusion' ? p.txId : ZERO, leaf.hash, `${t.name}: proof ${p.leafIndex} leaf hash`);
    }
  }
  check(f.malformed.length > 0, 'has malformed proofs');
  for (const m of f.malformed) {
    const got = outcome(() => verifyProof(m.kind, m.root, m.segment, m.txId, m.encoded));
    check(got === m.error, `malformed ${m.name}: expected ${m.error}, got ${got}`);
  }
  const g = f.gas;
  check(outcome(() => verifyProof('inclusion', g.root, g.segment, g.txId, g.encoded)) === null, 'gas case verifies');
}

// ---------------------------------------------------------------- headers.json
function checkHeaders() {
  const f = load('headers.json');
  let prev = ZERO;
  f.headers.forEach((h, i) => {
    const x = h.header;
    const enc = encodeAbiParameters(headerAbi, [
      big(x.number), x.prevHash, x.txRoot, x.accumulator, x.noteRoot, big(x.noteCount), x.entriesRoot,
      Number(big(x.entryCount)), Number(big(x.depositCursor)), Number(big(x.exitCursor)), big(x.timestamp),
    ]);
    check((enc.length - 2) / 2 === 352, `header ${i}: 352 bytes`);
    eq(enc, h.encoded, `header ${i}: encoding`);
    eq(keccak256(enc), h.hash, `header ${i}: hash`);
    eq(x.prevHash, prev, `header ${i}: prevHash links to the previous header`);
    eq(big(x.number), BigInt(i + 1), `header ${i}: number`);
    prev = h.hash;
  });
}

await checkTransactions();
checkTrees();
checkHeaders();
tally.finish();
