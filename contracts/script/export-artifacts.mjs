#!/usr/bin/env node
// Writes the trimmed artifacts that the Rust side binds with alloy's `sol!` macro:
//   { "abi": [...], "bytecode": { "object": "0x..." }, "deployedBytecode": { "object": "0x..." } }
// from forge's build output. Deterministic: key order is fixed, 2-space indentation, final newline.
// Usage: node script/export-artifacts.mjs <forge out dir> <destination dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Committed artifacts: <source file name as forge names its out/ folder>, <contract name>.
export const CONTRACTS = [
  ['DebyeChain.sol', 'DebyeChain'],
  ['TestToken.sol', 'TestToken'],
  ['ForcedInclusion.sol', 'ForcedInclusion'],
  ['ExitVerifier.sol', 'ExitVerifier'],
  ['ShieldedPool.sol', 'ShieldedPool'],
];

function hexObject(value, what) {
  const object = value?.object;
  if (typeof object !== 'string' || !/^0x([0-9a-f]{2})+$/.test(object)) {
    throw new Error(`${what}: expected a non-empty, fully linked 0x-hex bytecode object`);
  }
  return { object };
}

const [outDir, destDir] = process.argv.slice(2);
if (!outDir || !destDir) {
  console.error('usage: export-artifacts.mjs <forge out dir> <destination dir>');
  process.exit(2);
}
mkdirSync(destDir, { recursive: true });
for (const [file, name] of CONTRACTS) {
  const source = join(outDir, file, `${name}.json`);
  const forgeArtifact = JSON.parse(readFileSync(source, 'utf8'));
  if (!Array.isArray(forgeArtifact.abi)) throw new Error(`${source}: no abi`);
  const trimmed = {
    abi: forgeArtifact.abi,
    bytecode: hexObject(forgeArtifact.bytecode, `${source} bytecode`),
    deployedBytecode: hexObject(forgeArtifact.deployedBytecode, `${source} deployedBytecode`),
  };
  writeFileSync(join(destDir, `${name}.json`), `${JSON.stringify(trimmed, null, 2)}\n`);
}
