// Independent check of test-vectors/accumulator/header.json (docs/accumulator.md §13.1): recomputes
// every header commitment from the RSA-2048 modulus and the accumulator value with node:crypto.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const dir = new URL(".", import.meta.url);
const v = JSON.parse(readFileSync(new URL("header.json", dir)));
const n = BigInt(JSON.parse(readFileSync(new URL("vectors.json", dir))).modulus);
const nBytes = Buffer.from(n.toString(16).padStart(512, "0"), "hex");
const sha = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
let count = 0;
for (const row of v.commitments) {
  const value = Buffer.from(row.value, "hex");
  if (value.length !== 256) throw new Error(`height ${row.height}: value is not 256 bytes`);
  const digest = sha(Buffer.from("debye/accumulator/v1/digest"), nBytes, value);
  if (digest.toString("hex") !== row.digest) throw new Error(`height ${row.height}: digest`);
  const height = Buffer.alloc(8);
  height.writeBigUInt64BE(BigInt(row.height));
  const c = sha(Buffer.from(v.tag), height, digest);
  if (c.toString("hex") !== row.commitment) throw new Error(`height ${row.height}: commitment`);
  count++;
}
if (count < 4) throw new Error("too few vectors");
console.log(`header commitments: ${count} vectors match`);
