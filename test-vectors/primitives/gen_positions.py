#!/usr/bin/env python3
"""Writes positions.json: exit positions, their block and order, and which inputs refer to them.

An implementation of docs/exit-game.md §1.2, §1.3 and §12.4 written from the spec, independent
of both the Rust (`debye_primitives::exit`) and Solidity (`ExitLib`) ones; both are checked
against the file it writes. Run: python3 test-vectors/primitives/gen_positions.py
"""
import json
import os

FORCED_BLOCK = 1 << 63
DEPOSIT_TX_INDEX = 2**32 - 1
MASK = (1 << 128) - 1


def deposit(b):
    return 2 * b


def output(b):
    return 2 * b + 1


def forced(k, newest_rank):
    return ((k + 1) << 128) | newest_rank | 1


def block_of(p):
    return (p & MASK) // 2


def order(p):
    return 2 * (p & MASK) + (1 if p >> 128 else 0)


def refers_to(block_index, tx_index, p):
    if p >> 128:
        return block_index == FORCED_BLOCK | ((p >> 128) - 1) and tx_index != DEPOSIT_TX_INDEX
    return block_index == p // 2 and (tx_index == DEPOSIT_TX_INDEX) == (p % 2 == 0)


blocks = [0, 1, 2, 1000, 2**32, 2**62 - 1]
positions = []
for b in blocks:
    positions.append(("deposit", b, None, deposit(b)))
    positions.append(("output", b, None, output(b)))
for k, newest in [(0, deposit(1)), (0, output(1)), (5, output(1000)), (2**40, deposit(2**32))]:
    positions.append(("forced", k, newest, forced(k, newest)))

hx = lambda v: hex(v)
cases = []
for kind, a, newest, p in positions:
    c = {"kind": kind, "position": hx(p), "block": hx(block_of(p)), "order": hx(order(p))}
    if kind == "forced":
        c["index"] = hx(a)
        c["newestInputRank"] = hx(newest)
    else:
        c["childBlock"] = hx(a)
    cases.append(c)

inputs = []
for p in [deposit(2), output(2), forced(0, output(1)), forced(5, output(1000))]:
    for bi, ti in [(2, DEPOSIT_TX_INDEX), (2, 0), (2, 7), (3, 0), (FORCED_BLOCK, 0),
                   (FORCED_BLOCK | 5, 1), (FORCED_BLOCK | 5, DEPOSIT_TX_INDEX), (FORCED_BLOCK | 1, 0)]:
        inputs.append({"position": hx(p), "blockIndex": hx(bi), "txIndex": hx(ti),
                       "refersTo": refers_to(bi, ti, p)})

out = {
    "description": "Exit positions (docs/exit-game.md §1.2, §12.4) and ExitLib.refersTo (§1.3); "
                   "written by gen_positions.py, checked by debye-primitives and ExitVectors.t.sol",
    "positions": cases,
    "refersTo": inputs,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "positions.json")
with open(path, "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
