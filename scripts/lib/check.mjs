// Shared by every cross-check script (scripts/*/check-*.mjs, test-vectors/*/check-*.mjs): where the
// repository is, how to load the pinned JS packages from contracts/node_modules whatever the cwd,
// and one tally of checks so a script that checked nothing, or anything wrongly, exits non-zero.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/// `require` resolving from contracts/package.json, where viem and circomlibjs are pinned.
export const contractsRequire = createRequire(join(repoRoot, 'contracts', 'package.json'));

/// A tally of checks. `check` records one; `eq` compares case-insensitively (hex strings, addresses);
/// `finish` prints the outcome and exits 1 on any mismatch or when nothing was checked.
export class Checks {
  constructor(name, against) {
    this.name = name;
    this.against = against;
    this.checks = 0;
    this.failures = 0;
  }

  check(cond, what) {
    this.checks++;
    if (!cond) {
      this.failures++;
      console.error(`MISMATCH: ${what}`);
    }
  }

  eq(a, b, what) {
    this.check(String(a).toLowerCase() === String(b).toLowerCase(), `${what}: ${a} != ${b}`);
  }

  finish() {
    if (this.checks === 0) {
      console.error(`${this.name}: no checks ran`);
      process.exit(1);
    }
    if (this.failures > 0) {
      console.error(`${this.name}: ${this.failures} of ${this.checks} checks failed`);
      process.exit(1);
    }
    console.log(`${this.name}: all ${this.checks} checks passed (${this.against})`);
  }
}
