// Independent cross-check of test-vectors/accumulator/vectors.json (debye-accumulator v1),
// written from docs/accumulator.md with JavaScript BigInt and node:crypto only:
// generator, digests, slice ids and primes, challenge primes, block α/β keys, chain proofs,
// the exclusion proof and the inclusion proof. Run: node test-vectors/accumulator/check-accumulator.mjs
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const V = JSON.parse(readFileSync(join(here, "vectors.json"), "utf8"));
let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    console.error("FAIL:", what);
  }
}

const enc = new TextEncoder();
const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const toBig = (bytes) => BigInt("0x" + (Buffer.from(bytes).toString("hex") || "0"));
const minBytes = (x) => {
  let h = x.toString(16);
  if (x === 0n) return new Uint8Array(0);
  if (h.length % 2) h = "0" + h;
  return new Uint8Array(Buffer.from(h, "hex"));
};
const fixedBytes = (x, n) => new Uint8Array(Buffer.from(x.toString(16).padStart(2 * n, "0"), "hex"));
const u32 = (v) => fixedBytes(BigInt(v), 4);
const u64 = (v) => fixedBytes(BigInt(v), 8);
const hexBig = (h) => BigInt("0x" + h);

const modpow = (b, e, m) => {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
};
const gcd = (a, b) => {
  while (b) [a, b] = [b, a % b];
  return a;
};

// Miller–Rabin with the first 24 prime bases (independent of the Rust Baillie–PSW).
const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n];
function isPrime(n) {
  if (n < 2n) return false;
  for (const p of BASES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n, s = 0;
  while ((d & 1n) === 0n) { d >>= 1n; s++; }
  outer: for (const a of BASES) {
    let x = modpow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

// ---- the group Z_N*/{±1}
const N = BigInt(V.modulus);
check(N.toString(2).length === 2048, "N is 2048 bits");
const NB = minBytes(N);
const half = N >> 1n;
const canon = (x) => { x %= N; return x > half ? N - x : x; };
const encode = (x) => fixedBytes(x, 256);
const mul = (a, b) => canon(a * b);
const pow = (a, e) => canon(modpow(a, e, N));

// generator: SHA-256 counter mode over (tag, N, counter, block), 288 bytes, mod N, canonical
function generator() {
  const tag = enc.encode("debye/accumulator/v1/generator");
  for (let counter = 0; ; counter++) {
    const parts = [];
    for (let block = 0; parts.length * 32 < 256 + 32; block++) parts.push(sha256(tag, NB, u32(counter), u32(block)));
    const x = toBig(Buffer.concat(parts)) % N;
    if (x !== 0n && gcd(x, N) === 1n) {
      const c = canon(x);
      if (c > 1n) return c;
    }
  }
}
const G = generator();
check(Buffer.from(encode(G)).toString("hex") === V.generator, "generator");
const digest = (a) => Buffer.from(sha256(enc.encode("debye/accumulator/v1/digest"), NB, encode(a))).toString("hex");
check(digest(G) === V.generator_digest, "generator digest");

// ---- slices and keys: a slice is (level, index); a key adds kind 0 (α) / 1 (β)
const COIN = 160n;
const keyId = (kind, level, index) => 2n * ((1n << BigInt(level)) + index) + (kind === "beta" ? 1n : 0n);
function firstPrimeInWindow(id) {
  const base = id << 16n;
  for (let c = base + 1n; c < base + 65536n; c += 2n) if (isPrime(c)) return c;
  throw new Error("window exhausted");
}
const primeCache = new Map();
function keyPrime(k) {
  const s = `${k.kind}:${k.level}:${k.index}`;
  if (!primeCache.has(s)) primeCache.set(s, firstPrimeInWindow(keyId(k.kind, k.level, k.index)));
  return primeCache.get(s);
}
for (const k of V.slice_keys) {
  const start = hexBig(k.start);
  const index = start >> (COIN - BigInt(k.level));
  const id = keyId(k.kind, k.level, index);
  check(id.toString(16) === k.id, `key id ${k.kind} ${k.level}`);
  check(firstPrimeInWindow(id).toString(16) === k.prime, `slice prime ${k.kind} ${k.level}`);
}

// ---- challenge primes and transcripts
function challengePrime(seed) {
  const tag = enc.encode("debye/accumulator/v1/challenge-prime");
  for (let c = 0n; ; c++) {
    const b = sha256(tag, seed, u64(c));
    b[0] |= 0x80;
    b[31] |= 1;
    const x = toBig(b);
    if (isPrime(x)) return x;
  }
}
for (const c of V.challenge_primes) {
  check(challengePrime(new Uint8Array(Buffer.from(c.seed, "hex"))).toString(16) === c.prime, "challenge prime");
}
class Transcript {
  constructor(tag) {
    this.parts = [];
    this.absorb("tag", enc.encode(tag));
    this.absorb("N", NB);
    this.absorb("g", encode(G));
  }
  absorb(label, bytes) {
    const l = enc.encode(label);
    this.parts.push(u64(l.length), l, u64(bytes.length), bytes);
  }
  elem(label, x) { this.absorb(label, encode(x)); }
  prime(label) {
    const l = enc.encode(label);
    return challengePrime(sha256(...this.parts, u64(9), enc.encode("challenge"), u64(l.length), l));
  }
}
const commitment = (factors) => sha256(u64(factors.length), ...factors.flatMap((f) => { const b = minBytes(f); return [u64(b.length), b]; }));
const productMod = (factors, m) => factors.reduce((acc, f) => (acc * f) % m, 1n);

// ---- α/β keys
function decompose(start, end) {
  const out = [];
  let s = start;
  while (s < end) {
    let j = 0n;
    if (s === 0n) j = COIN; else while (((s >> j) & 1n) === 0n && j < COIN) j++;
    while (s + (1n << j) > end) j--;
    out.push({ level: Number(COIN - j), index: s >> j });
    s += 1n << j;
  }
  return out;
}
const parent = (sl) => ({ level: sl.level - 1, index: sl.index >> 1n });
const ancestors = (sl) => { const a = []; while (sl.level > 0) { sl = parent(sl); a.push(sl); } return a; };
const cmpKey = (a, b) => (a.kind !== b.kind ? (a.kind === "alpha" ? -1 : 1) : a.level !== b.level ? a.level - b.level : a.index < b.index ? -1 : a.index > b.index ? 1 : 0);
function keySet(list) {
  const m = new Map();
  for (const k of list) m.set(`${k.kind}:${k.level}:${k.index}`, k);
  return [...m.values()].sort(cmpKey);
}
function blockKeys(ranges) {
  const rs = ranges.map(([a, b]) => [hexBig(a), hexBig(b)]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const merged = [];
  for (const r of rs) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = r[1] > last[1] ? r[1] : last[1]; else merged.push([...r]);
  }
  const keys = [];
  for (const [a, b] of merged) for (const sl of decompose(a, b)) {
    keys.push({ kind: "alpha", ...sl }, { kind: "beta", ...sl });
    for (const an of ancestors(sl)) keys.push({ kind: "beta", ...an });
  }
  return keySet(keys);
}
function exclusionKeys([a, b]) {
  const keys = [];
  for (const sl of decompose(hexBig(a), hexBig(b))) {
    keys.push({ kind: "beta", ...sl }, { kind: "alpha", ...sl });
    for (const an of ancestors(sl)) keys.push({ kind: "alpha", ...an });
  }
  return keySet(keys);
}

// ---- chain proofs (Wesolowski PoE, exponent known)
check(V.geometry_leaf_bits === 0, "coin-exact geometry");
const values = [hexBig(V.genesis)];
check(values[0] === G, "A_0 = g");
const readElems = (hex, n) => Array.from({ length: n }, (_, i) => hexBig(hex.slice(i * 512, (i + 1) * 512)));
for (const [i, b] of V.blocks.entries()) {
  const prev = values[values.length - 1];
  const next = hexBig(b.value);
  const factors = blockKeys(b.touched).map(keyPrime);
  check(factors.length === b.primes, `block ${i + 1} prime count`);
  check(digest(next) === b.digest, `block ${i + 1} digest`);
  const t = new Transcript("debye/accumulator/v1/chain-poe");
  t.elem("base", prev); t.elem("result", next); t.absorb("exponent", commitment(factors));
  const l = t.prime("l");
  const [q] = readElems(b.proof, 1);
  check(mul(pow(q, l), pow(prev, productMod(factors, l))) === next, `block ${i + 1} chain proof`);
  values.push(next);
}

// ---- exclusion proof
{
  const E = V.exclusion;
  const [base, result] = [values[E.a], values[E.b]];
  const x = exclusionKeys(E.range).map(keyPrime);
  const [z, qg1, qu1, v, z2, qg2, q2] = readElems(E.proof, 7);
  const r1 = hexBig(E.proof.slice(7 * 512, 7 * 512 + 64));
  const r2 = hexBig(E.proof.slice(7 * 512 + 64));
  const ts = new Transcript("debye/accumulator/v1/exclusion-span");
  ts.elem("base", base); ts.elem("result", result); ts.elem("z", z);
  const l1 = ts.prime("l1");
  const t = new Transcript("debye/accumulator/v1/exclusion");
  t.elem("base", base); t.elem("result", result); t.absorb("excluded", commitment(x));
  t.elem("z", z); t.elem("V", v); t.elem("z2", z2);
  const l2 = t.prime("l2");
  check(r1 < l1 && r2 < l2, "exclusion residues");
  check(mul(pow(qg1, l1), pow(G, r1)) === z, "exclusion: z = g^D");
  check(mul(pow(qu1, l1), pow(base, r1)) === result, "exclusion: A_b = A_a^D");
  check(mul(pow(qg2, l2), pow(G, r2)) === z2, "exclusion: z2 = g^s");
  check(mul(mul(pow(q2, l2), pow(z, r2)), pow(v, productMod(x, l2))) === G, "exclusion: z^s V^x = g");
}

// ---- inclusion proof
{
  const I = V.inclusion;
  const [base, result] = [values[I.a], values[I.b]];
  const keys = I.keys.map((k) => ({ kind: k.kind, level: k.level, index: hexBig(k.start) >> (COIN - BigInt(k.level)) }));
  const y = keySet(keys).map(keyPrime);
  check(y.length === I.keys.length, "inclusion keys are a sorted set");
  const [u, qe, z, qg, qu] = readElems(I.proof, 5);
  const r = hexBig(I.proof.slice(5 * 512));
  const t = new Transcript("debye/accumulator/v1/inclusion");
  t.elem("base", base); t.elem("result", result); t.absorb("exponent", commitment(y));
  t.elem("u", u); t.elem("z", z);
  const [le, l] = [t.prime("l_e"), t.prime("l")];
  check(mul(pow(qe, le), pow(base, productMod(y, le))) === u, "inclusion: u = A_a^y");
  check(r < l && mul(pow(qg, l), pow(G, r)) === z, "inclusion: z = g^k");
  check(mul(pow(qu, l), pow(u, r)) === result, "inclusion: A_b = u^k");
}

if (failures) {
  console.error(`${failures} accumulator vector check(s) failed`);
  process.exit(1);
}
console.log("accumulator vectors: all checks passed (independent JS implementation)");
