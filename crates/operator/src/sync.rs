//! L1 ingestion: deposits (after `l1.confirmations`), finalized exits and included forced
//! transactions read from the anchor's and the forced game's events, and the shielded pool's
//! deposit and exit queues (docs/shielded.md S-4.3), handed to the sequencer together with the
//! L1 block the next scan starts at (stored atomically with them).

use std::sync::Arc;

use alloy_sol_types::SolEvent;
use debye_l1::{
    L1, LogFilter,
    contracts::{DebyeChain::ExitFinalized, DebyeChainClient},
    forced::{ForcedIncluded, ForcedPosted, posted_transaction},
    pool::ShieldedPoolClient,
};
use debye_primitives::Segment;
use debye_storage::{DepositEntry, ExitEntry, ShieldedDepositEntry, ShieldedExitEntry};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, warn};

use crate::{
    Error, Result,
    command::{Commands, ForcedTx, ShieldedImport},
    state::NodeState,
};

/// Coins that left the chain: the anchor's `ExitFinalized(exitId, owner, start, end)` events in
/// `[from_l1_block, to_l1_block]`. Only finalized exits make coins unspendable: a started exit
/// can still be cancelled by a challenge (docs/exit-game.md), and the coins stay spendable on L2
/// until then. [`crate::Operator::report_exits`] feeds the same handler directly.
async fn exit_events<L: L1>(
    chain: &DebyeChainClient<L>,
    from_l1_block: u64,
    to_l1_block: u64,
) -> Result<Vec<ExitEntry>> {
    let filter = LogFilter {
        address: chain.address(),
        event_signatures: vec![ExitFinalized::SIGNATURE_HASH],
        from_block: from_l1_block,
        to_block: Some(to_l1_block),
    };
    let mut exits = Vec::new();
    for log in chain.l1().logs(filter).await? {
        let ev = match ExitFinalized::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => ev,
            Err(e) => {
                warn!(error = %e, "ignoring undecodable ExitFinalized log");
                continue;
            }
        };
        match Segment::new(ev.start, ev.end) {
            Ok(segment) => exits.push(ExitEntry {
                segment,
                l1_block: log.block_number,
            }),
            Err(e) => warn!(error = %e, "ignoring malformed exit range"),
        }
    }
    Ok(exits)
}

/// Forced transactions that became included (`docs/exit-game.md` §12.3, §13): the forced
/// game's `ForcedIncluded(index, txId, position)` events in `[from_l1_block, to_l1_block]`, each
/// with the transaction of the `ForcedPosted` event of the same index (posted about a period
/// earlier, so searched from `start_block`) whose id matches.
async fn forced_events<L: L1>(
    chain: &DebyeChainClient<L>,
    start_block: u64,
    from_l1_block: u64,
    to_l1_block: u64,
) -> Result<Vec<ForcedTx>> {
    let game = chain.forced_inclusion().await?;
    let filter = LogFilter {
        address: game,
        event_signatures: vec![ForcedIncluded::SIGNATURE_HASH],
        from_block: from_l1_block,
        to_block: Some(to_l1_block),
    };
    let mut included = Vec::new();
    for log in chain.l1().logs(filter).await? {
        match ForcedIncluded::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => included.push(ev),
            Err(e) => warn!(error = %e, "ignoring undecodable ForcedIncluded log"),
        }
    }
    if included.is_empty() {
        return Ok(Vec::new());
    }
    let filter = LogFilter {
        address: game,
        event_signatures: vec![ForcedPosted::SIGNATURE_HASH],
        from_block: start_block.min(from_l1_block),
        to_block: Some(to_l1_block),
    };
    let mut posted = std::collections::HashMap::new();
    for log in chain.l1().logs(filter).await? {
        match ForcedPosted::decode_raw_log(log.topics.iter().copied(), &log.data) {
            Ok(ev) => {
                posted.insert(ev.index, ev);
            }
            Err(e) => warn!(error = %e, "ignoring undecodable ForcedPosted log"),
        }
    }
    let mut out = Vec::new();
    for inc in included {
        let Some(p) = posted.get(&inc.index).filter(|p| p.txId == inc.txId) else {
            return Err(Error::Internal(format!(
                "forced transaction {} included but its ForcedPosted event (id {}) was not found \
                 from L1 block {start_block}",
                inc.index, inc.txId
            )));
        };
        out.push(ForcedTx {
            index: inc.index,
            tx: posted_transaction(p)?,
        });
    }
    Ok(out)
}

/// The shielded pool's `ShieldedDeposit` and `ShieldedExitStarted` events in `[from_l1_block,
/// to_l1_block]`, in index order (docs/shielded.md S-4.3). The sequencer checks the order.
async fn shielded_events<L: L1>(
    pool: &ShieldedPoolClient<L>,
    from_l1_block: u64,
    to_l1_block: u64,
) -> Result<ShieldedImport> {
    let deposits = pool
        .deposits(from_l1_block, to_l1_block)
        .await?
        .into_iter()
        .map(|d| ShieldedDepositEntry {
            index: d.event.index,
            cm: d.event.cm,
            l1_block: d.l1_block,
        })
        .collect();
    let exits = pool
        .exit_starts(from_l1_block, to_l1_block)
        .await?
        .into_iter()
        .map(|e| ShieldedExitEntry {
            index: e.index,
            nullifiers: [e.record.nullifier0, e.record.nullifier1],
            l1_block: e.l1_block,
        })
        .collect();
    Ok(ShieldedImport { deposits, exits })
}

async fn sync_once<L: L1 + Clone>(
    state: &NodeState,
    chain: &DebyeChainClient<L>,
    pool: &ShieldedPoolClient<L>,
    commands: &Commands,
) -> Result<()> {
    let head = chain.l1().block_number().await?;
    state.observe_l1_time(chain.l1().timestamp().await?);
    let safe = head.saturating_sub(state.config().l1.confirmations);
    let from = state
        .store()
        .l1_cursor()?
        .unwrap_or(state.config().l1.start_block);
    if safe < from {
        return Ok(());
    }
    let mut deposits = Vec::new();
    for rec in chain.deposits(from).await? {
        if rec.l1_block > safe {
            continue;
        }
        let ev = &rec.event;
        match Segment::new(ev.start, ev.end) {
            Ok(segment) => deposits.push(DepositEntry {
                segment,
                owner: ev.owner,
                block: ev.blockNumber,
                l1_block: rec.l1_block,
            }),
            Err(e) => warn!(error = %e, "ignoring malformed deposit event"),
        }
    }
    let exits = exit_events(chain, from, safe).await?;
    let forced = forced_events(chain, state.config().l1.start_block, from, safe).await?;
    let shielded = shielded_events(pool, from, safe).await?;
    commands
        .l1_events(deposits, exits, forced, shielded, safe + 1)
        .await
}

/// Polls L1 for deposits (after `confirmations`), exits and the shielded pool's queues until
/// `stop`.
pub(crate) async fn sync_loop<L: L1 + Clone + 'static>(
    state: Arc<NodeState>,
    chain: DebyeChainClient<L>,
    commands: Commands,
    mut stop: watch::Receiver<bool>,
    fatal: mpsc::UnboundedSender<Error>,
) {
    let poll = state.config().poll_interval();
    let mut pool = None;
    loop {
        let once = async {
            if pool.is_none() {
                pool = Some(ShieldedPoolClient::of_chain(&chain).await?);
            }
            match &pool {
                Some(pool) => sync_once(&state, &chain, pool, &commands).await,
                None => Ok(()),
            }
        };
        match once.await {
            Ok(()) => {}
            Err(Error::L1(e)) => warn!(error = %e, "L1 unavailable; retrying"),
            Err(Error::ShuttingDown) => break,
            Err(e) => {
                error!(error = %e, "L1 sync stopped");
                let _ = fatal.send(e);
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => break,
        }
    }
    debug!("L1 sync stopped");
}
