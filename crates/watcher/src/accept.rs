//! Block acceptance (`docs/watcher.md` §1 step 2): a served body counts only if it rebuilds the
//! committed root; its transactions over guarded coins are stored with their proofs and judged
//! valid or not (signature, expiry, every input a valid output of its owner). Pure: a block in,
//! the state and the step's [`Batch`] changed.

use alloy_sol_types::Eip712Domain;
use debye_primitives::{Block, BlockHeader, Input, Segment, SumMerkleTree, exit::FORCED_BLOCK};

use crate::{
    mode::Mode,
    state::{Batch, State},
    types::{ForcedPhase, StoredTx, WatchEvent},
};

/// The tree of a served `block` if its header is the committed `header` and its body rebuilds
/// the committed root: anything else the operator serves is as good as withheld.
pub(crate) fn checked_tree(
    block: &Block,
    header: &BlockHeader,
    domain: &Eip712Domain,
) -> Option<SumMerkleTree> {
    if block.header != *header {
        return None;
    }
    block
        .tree(domain)
        .ok()
        .filter(|t| t.root() == header.tx_root)
}

/// Stores the watched transactions of `block` (whose header is committed). Returns the
/// `InvalidTransaction` reports, or `None` if the body does not match the committed root.
pub(crate) fn accept_block(
    state: &mut State,
    batch: &mut Batch,
    mode: &Mode,
    domain: &Eip712Domain,
    block: &Block,
) -> Option<Vec<WatchEvent>> {
    let tree = checked_tree(block, &block.header, domain)?;
    let number = block.header.number;
    let mut events = Vec::new();
    for (index, stx) in block.transactions.iter().enumerate() {
        let tx = &stx.transaction;
        if !tx.coin_ranges().iter().any(|s| mode.watches(s)) {
            continue;
        }
        let tx_id = stx.tx_id(domain);
        let signed_ok = stx.verify(domain).is_ok() && number <= tx.max_block_index;
        let inputs_ok = tx.inputs.iter().all(|i| input_ok(state, mode, i, number));
        let prove = |seg: &Segment| tree.prove_inclusion(seg, tx_id).ok();
        let input_proofs: Option<Vec<_>> = tx.inputs.iter().map(|i| prove(&i.segment)).collect();
        let output_proofs: Option<Vec<_>> = tx.outputs.iter().map(|o| prove(&o.segment)).collect();
        let (Some(input_proofs), Some(output_proofs)) = (input_proofs, output_proofs) else {
            continue;
        };
        let stored = StoredTx {
            block: number,
            index: u32::try_from(index).unwrap_or(u32::MAX),
            tx_id,
            stx: stx.clone(),
            signed_ok,
            valid: signed_ok && inputs_ok,
            input_proofs,
            output_proofs,
        };
        // A transaction standing on a withheld block is not known to be invalid: its parent
        // may well be valid (docs/watcher.md §8).
        let unknown_parent = tx
            .inputs
            .iter()
            .any(|i| !i.is_deposit() && state.meta.withheld.contains(&i.block_index));
        if !stored.valid && !unknown_parent {
            events.push(WatchEvent::InvalidTransaction {
                block: number,
                tx_id,
            });
        }
        batch.txs.push(stored.clone());
        state.index_tx(stored);
    }
    Some(events)
}

/// Whether `input` (of a transaction in block `block`) names an existing, valid output owned by
/// its owner that holds its coins (`docs/exit-game.md` §3.4: what a request asks to be shown).
fn input_ok(state: &State, mode: &Mode, input: &Input, block: u64) -> bool {
    let seg = input.segment;
    if input.block_index & FORCED_BLOCK != 0 {
        // An output of forced transaction `k` (docs/formats.md §3.1): it exists once `k` is
        // included on L1 (docs/exit-game.md §12.4).
        let k = input.block_index & !FORCED_BLOCK;
        return state.forced.get(&k).is_some_and(|f| {
            f.phase == ForcedPhase::Included
                && f.tx
                    .outputs
                    .get(usize::from(input.output_index))
                    .is_some_and(|o| o.owner == input.owner && o.segment.contains(&seg))
        }) || !mode.watches(&seg);
    }
    if input.block_index > block || (!input.is_deposit() && input.block_index == block) {
        return false;
    }
    if !mode.watches(&seg) {
        // Guard mode: coins outside the guard have no stored history; only the guarded
        // coins' links are judged (an unknown link is not evidence of fraud).
        return true;
    }
    if input.is_deposit() {
        return state
            .deposits
            .range(..=seg.start())
            .next_back()
            .is_some_and(|(_, d)| {
                d.block_number == input.block_index && d.owner == input.owner && seg.end() <= d.end
            });
    }
    state
        .txs
        .range((input.block_index, 0)..=(input.block_index, u32::MAX))
        .any(|(_, t)| {
            t.valid
                && t.stx
                    .transaction
                    .outputs
                    .iter()
                    .any(|o| o.owner == input.owner && o.segment.contains(&seg))
        })
}
