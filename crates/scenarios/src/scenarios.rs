//! The scenarios. Each builds a fresh [`World`], lets a byzantine party act, runs the watcher,
//! and ends by checking L1 balances: fraud never pays, and nobody honest loses funds.

use alloy_primitives::{Address, I256, U256};
use debye_l1::{
    L1,
    exits::{ExitData, ExitEvent, ExitStatus, deposit_record, output_proof, spend_proof},
    forced::ForcedStatus,
    test_utils::{transfer, tx_input},
};
use debye_primitives::{Input, SignedTransaction};
use debye_rpc_api::HttpClient;
use debye_watcher::{Mode, WatchEvent, Watcher};
use eyre::{Result, ensure};

use crate::world::{ETH, PERIOD, World, d_eth, eth, seg};

/// Which scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) enum S {
    SpentRange,
    OlderOutput,
    GriefingRequestAnswered,
    UnsignedSpend,
    ChainedForgery,
    DoubleSpend,
    WithheldThenExit,
    WithheldHonest,
    DepositLessRange,
    SettledCoins,
    MassExit,
    StalledOperator,
    ForcedInclusion,
    InFlightForged,
    InFlightSelfSigned,
    LateForcedSettlement,
}

/// Every scenario, in run order.
pub(crate) const ALL: &[(&str, S)] = &[
    ("spent_range_exit", S::SpentRange),
    ("older_output_exit", S::OlderOutput),
    ("griefing_request_answered", S::GriefingRequestAnswered),
    ("operator_unsigned_spend", S::UnsignedSpend),
    ("exit_built_on_forged_link", S::ChainedForgery),
    ("double_spend_exit", S::DoubleSpend),
    ("withheld_block_then_exit", S::WithheldThenExit),
    ("withheld_block_honest_exit", S::WithheldHonest),
    ("deposit_less_range", S::DepositLessRange),
    ("exit_of_settled_coins", S::SettledCoins),
    ("mass_exit_batches", S::MassExit),
    ("stalled_operator", S::StalledOperator),
    ("forced_inclusion_censored_user", S::ForcedInclusion),
    ("in_flight_payment_after_forgery", S::InFlightForged),
    (
        "in_flight_payment_after_self_signed_forgery",
        S::InFlightSelfSigned,
    ),
    ("late_forced_settlement", S::LateForcedSettlement),
];

/// Runs scenario `s` on `l1`; `Ok` holds the detail line.
pub(crate) async fn run<L: L1 + Clone + 'static>(s: S, l1: L) -> Result<String> {
    match s {
        S::SpentRange => spent_range(l1).await,
        S::OlderOutput => older_output(l1).await,
        S::GriefingRequestAnswered => griefing_request(l1).await,
        S::UnsignedSpend => unsigned_spend(l1).await,
        S::ChainedForgery => chained_forgery(l1).await,
        S::DoubleSpend => double_spend(l1).await,
        S::WithheldThenExit => withheld_then_exit(l1).await,
        S::WithheldHonest => withheld_honest(l1).await,
        S::DepositLessRange => deposit_less_range(l1).await,
        S::SettledCoins => settled_coins(l1).await,
        S::MassExit => mass_exit(l1).await,
        S::InFlightForged => in_flight(l1, false).await,
        S::InFlightSelfSigned => in_flight(l1, true).await,
        S::LateForcedSettlement => late_forced_settlement(l1).await,
        S::StalledOperator => stalled(l1).await,
        S::ForcedInclusion => forced_inclusion(l1).await,
    }
}

fn did(events: &[WatchEvent], how: &str) -> bool {
    events
        .iter()
        .any(|e| matches!(e, WatchEvent::Challenged { how: h, .. } if h == how))
}

/// Exits `[start, end)` of output `oi` of `stx` in `block` for `owner`, waits out the period
/// and finalizes it.
async fn honest_output_exit<L: L1 + Clone + 'static>(
    w: &World<L>,
    owner: Address,
    stx: &SignedTransaction,
    block: u64,
    oi: usize,
) -> Result<()> {
    let out = stx.transaction.outputs[oi].segment;
    let exit = w.exit_output(owner, stx, oi, block, &out).await?;
    w.l1.advance_time(PERIOD + PERIOD / 2 + 1).await?;
    let key = w.chain.range_key(out.start(), 0).await?;
    w.chain.finalize_exit(owner, &exit, key).await?;
    ensure!(w.chain.exit_status(&exit).await? == ExitStatus::Withdrawn);
    Ok(())
}

/// Who an account is in a balance check, and its balance before: `(name, address, balance)`.
type Account<'a> = (&'a str, Address, U256);

/// How the two "exit of coins already paid on" stories end: the watcher challenges `fraud` as
/// spent and cancels it; the payee exits output 0 of `paid` (in block `block`) in full; the
/// cheat's bond goes to the watcher (balance `guard_before`), the payee gains the coin.
async fn spent_exit_foiled<L: L1 + Clone + 'static>(
    w: &World<L>,
    watcher: &mut Watcher<L, HttpClient>,
    fraud: &ExitData,
    (cheat, cheat_addr, cheat_before): Account<'_>,
    ((payee, payee_addr, payee_before), paid, block): (Account<'_>, &SignedTransaction, u64),
    guard_before: U256,
) -> Result<String> {
    let ev = watcher.step().await?;
    ensure!(did(&ev, "spent"), "watcher did not challenge: {ev:?}");
    ensure!(w.chain.exit_status(fraud).await? == ExitStatus::Cancelled);
    honest_output_exit(w, payee_addr, paid, block, 0).await?;
    w.expect(&[
        (cheat, cheat_addr, cheat_before, -w.bond_delta()),
        (payee, payee_addr, payee_before, d_eth(1)),
        ("watcher", w.guard, guard_before, w.bond_delta()),
    ])
    .await
}

/// Alice paid Bob `[a, a+1)` in block 1, then exits her whole deposit.
async fn spent_range<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let (w, mut watcher) = World::guarded(l1).await?;
    let b = w.balances(&[w.alice, w.bob, w.guard]).await?;
    let fraud = w
        .chain
        .start_deposit_exit(w.alice, &w.dep_a, w.dep_a.start, w.dep_a.end)
        .await?;
    let alice = ("alice", w.alice, b[0]);
    let bob = ("bob", w.bob, b[1]);
    spent_exit_foiled(&w, &mut watcher, &fraud, alice, (bob, &w.t1, 1), b[2]).await
}

/// Bob pays his block-1 output on to Alice in block 2, then exits the older output.
async fn older_output<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let mut w = World::new(l1).await?;
    let paid = w.t1.transaction.outputs[0].segment;
    let t2 = transfer(tx_input(w.bob, 1, paid), w.alice, w.max_block_index)
        .sign(w.op.domain(), &w.keys[2..3])?;
    let n2 = w.op.commit(vec![t2.clone()], false).await?;
    let mut watcher = w.watcher(w.all_coins()?).await?;
    watcher.step().await?;
    let b = w.balances(&[w.alice, w.bob, w.guard]).await?;
    let fraud = w.exit_output(w.bob, &w.t1, 0, 1, &paid).await?;
    let alice = ("alice", w.alice, b[0]);
    let bob = ("bob", w.bob, b[1]);
    spent_exit_foiled(&w, &mut watcher, &fraud, bob, (alice, &t2, n2), b[2]).await
}

/// Bob exits what Alice paid him; the operator opens a request naming Alice's deposit; Bob's
/// watcher answers with Alice's signed payment; the request bond goes to Bob, the delayed exit's
/// owner (docs/exit-game.md §3.4: griefing costs the griefer).
async fn griefing_request<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let (w, mut watcher) = World::guarded(l1).await?;
    let b = w.balances(&[w.bob, w.guard, w.operator]).await?;
    let paid = w.t1.transaction.outputs[0].segment;
    let exit = w.exit_output(w.bob, &w.t1, 0, 1, &paid).await?;
    w.chain
        .request_with_deposit(w.operator, &exit, &w.t1.transaction, &w.dep_a, paid.start())
        .await?;
    let ev = watcher.step().await?;
    ensure!(
        ev.iter().any(|e| matches!(e, WatchEvent::Answered { .. })),
        "watcher did not answer: {ev:?}"
    );
    w.l1.advance_time(PERIOD + PERIOD / 2 + 1).await?;
    let key = w.chain.range_key(paid.start(), 0).await?;
    w.chain.finalize_exit(w.bob, &exit, key).await?;
    w.chain.claim(w.bob).await?;
    let quarter = w.bond_delta() / I256::try_from(4).unwrap_or_default();
    w.expect(&[
        ("bob", w.bob, b[0], d_eth(1) + quarter),
        ("watcher", w.guard, b[1], I256::ZERO),
        ("griefer", w.operator, b[2], -quarter),
    ])
    .await
}

/// The operator includes the forged spend (`withhold`: without serving the block), exits it,
/// the watcher's request stands unanswered and cancels it; Bob exits his deposit.
async fn forged_exit<L: L1 + Clone + 'static>(
    mut w: World<L>,
    withhold: bool,
    chained: bool,
) -> Result<String> {
    let first = w.forged_spend_of_bob()?;
    let seg_b = first.transaction.outputs[0].segment;
    let mut n = w.op.commit(vec![first.clone()], withhold).await?;
    let mut forged = first;
    if chained {
        // A validly signed self-transfer by the operator, standing on the forged link.
        let next = transfer(
            tx_input(w.operator, n, seg_b),
            w.operator,
            w.max_block_index,
        )
        .sign(w.op.domain(), &w.keys[0..1])?;
        n = w.op.commit(vec![next.clone()], false).await?;
        forged = next;
    }
    let mut watcher = w.watcher(Mode::Guard(vec![seg_b])).await?;
    let ev = watcher.step().await?;
    if withhold {
        ensure!(
            ev.contains(&WatchEvent::BlockWithheld { block: n }),
            "{ev:?}"
        );
    } else {
        ensure!(
            ev.iter()
                .any(|e| matches!(e, WatchEvent::InvalidTransaction { .. })),
            "{ev:?}"
        );
    }
    let b = w.balances(&[w.bob, w.guard, w.operator]).await?;
    let fraud = w.exit_output(w.operator, &forged, 0, n, &seg_b).await?;
    let ev = watcher.step().await?;
    ensure!(did(&ev, "request"), "watcher did not request: {ev:?}");
    if withhold {
        ensure!(
            ev.iter()
                .any(|e| matches!(e, WatchEvent::UnprovableExit { .. })),
            "{ev:?}"
        );
    }
    w.l1.advance_time(PERIOD / 2 + 1).await?;
    let ev = watcher.step().await?;
    ensure!(did(&ev, "resolve"), "watcher did not resolve: {ev:?}");
    ensure!(w.chain.exit_status(&fraud).await? == ExitStatus::Cancelled);
    let honest = w
        .chain
        .start_deposit_exit(w.bob, &w.dep_b, seg_b.start(), seg_b.end())
        .await?;
    watcher.step().await?;
    w.l1.advance_time(PERIOD + 1).await?;
    let key = w.chain.range_key(seg_b.start(), 0).await?;
    w.chain.finalize_exit(w.bob, &honest, key).await?;
    w.expect_fraud_lost(("bob", w.bob, b[0], d_eth(1)), &b)
        .await
}

async fn unsigned_spend<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    forged_exit(World::new(l1).await?, false, false).await
}

async fn chained_forgery<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    forged_exit(World::new(l1).await?, false, true).await
}

/// Alice paid Bob `[a, a+1)` in block 1; she signs the same coins to the operator, who includes
/// that in block 2 and exits it; the watcher shows Alice's earlier spend.
async fn double_spend<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let mut w = World::new(l1).await?;
    let paid = w.t1.transaction.outputs[0].segment;
    let again = transfer(
        Input::deposit(w.alice, w.dep_a.blockNumber, paid),
        w.operator,
        w.max_block_index,
    )
    .sign(w.op.domain(), &w.keys[1..2])?;
    let n = w.op.commit(vec![again.clone()], false).await?;
    let mut watcher = w.watcher(w.all_coins()?).await?;
    watcher.step().await?;
    let b = w.balances(&[w.bob, w.guard, w.operator]).await?;
    let fraud = w.exit_output(w.operator, &again, 0, n, &paid).await?;
    let ev = watcher.step().await?;
    ensure!(did(&ev, "doubleSpend"), "watcher did not challenge: {ev:?}");
    ensure!(w.chain.exit_status(&fraud).await? == ExitStatus::Cancelled);
    honest_output_exit(&w, w.bob, &w.t1, 1, 0).await?;
    w.expect_fraud_lost(("bob", w.bob, b[0], d_eth(1)), &b)
        .await
}

async fn withheld_then_exit<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    forged_exit(World::new(l1).await?, true, false).await
}

/// The operator includes, in block 2, coins nobody has deposited yet; Alice deposits them
/// later; the operator exits them with the older position; the watcher shows the deposit.
async fn deposit_less_range<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let mut w = World::new(l1).await?;
    let next = w.dep_b.end;
    let fake = seg(next, next + eth(1))?;
    let transaction = transfer(
        Input::deposit(w.operator, 2, fake),
        w.operator,
        w.max_block_index,
    );
    let forged = transaction.sign(w.op.domain(), &w.keys[0..1])?;
    let n = w.op.commit(vec![forged.clone()], false).await?;
    let b = w.balances(&[w.alice, w.guard, w.operator]).await?;
    let dep = deposit_record(&w.chain.deposit_eth(w.alice, eth(1)).await?);
    ensure!(
        dep.start == next,
        "the deposit got the coins the operator faked"
    );
    let mut watcher = w.watcher(Mode::Archival).await?;
    watcher.step().await?;
    let fraud = w.exit_output(w.operator, &forged, 0, n, &fake).await?;
    let ev = watcher.step().await?;
    ensure!(
        did(&ev, "depositAfter"),
        "watcher did not challenge: {ev:?}"
    );
    ensure!(w.chain.exit_status(&fraud).await? == ExitStatus::Cancelled);
    let honest = w
        .chain
        .start_deposit_exit(w.alice, &dep, dep.start, dep.end)
        .await?;
    w.l1.advance_time(PERIOD + 1).await?;
    let key = w.chain.range_key(dep.start, 0).await?;
    w.chain.finalize_exit(w.alice, &honest, key).await?;
    w.expect_fraud_lost(("alice", w.alice, b[0], I256::ZERO), &b)
        .await
}

/// Many deposit exits settled with `finalizeExits` in batches and paid by `withdraw`; an
/// archival watcher challenges none of them.
async fn mass_exit<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    // The mass exit: 1,000 ranges leave in one exit period, settled 100 per transaction.
    const N: usize = 1_000;
    const BATCH: usize = 100;
    let w = World::new(l1).await?;
    let mut watcher = w.watcher(Mode::Archival).await?;
    let anchor0 = w.l1.balance(w.chain.address()).await?;
    let b = w.balances(&[w.alice, w.guard]).await?;
    let amount = U256::from(ETH / 10);
    let mut exits = Vec::new();
    for _ in 0..N {
        let d = deposit_record(&w.chain.deposit_eth(w.alice, amount).await?);
        exits.push(
            w.chain
                .start_deposit_exit(w.alice, &d, d.start, d.end)
                .await?,
        );
    }
    let ev = watcher.step().await?;
    ensure!(
        !ev.iter()
            .any(|e| matches!(e, WatchEvent::Challenged { .. })),
        "the watcher challenged honest exits: {ev:?}"
    );
    ensure!(watcher.status().pending_exits == N);
    w.l1.advance_time(PERIOD + 1).await?;
    let mut settled = 0;
    for chunk in exits.chunks(BATCH) {
        let mut keys = Vec::new();
        for e in chunk {
            keys.push(w.chain.range_key(e.start, 0).await?);
        }
        settled += w
            .chain
            .finalize_exits(w.operator, chunk, &keys)
            .await?
            .len();
    }
    ensure!(settled == N, "{settled} of {N} exits settled");
    for e in &exits {
        w.chain.withdraw(w.operator, e).await?;
        ensure!(w.chain.exit_status(e).await? == ExitStatus::Withdrawn);
    }
    watcher.step().await?;
    ensure!(watcher.status().pending_exits == 0);
    ensure!(
        w.l1.balance(w.chain.address()).await? == anchor0,
        "the anchor paid back exactly what was deposited and bonded"
    );
    let summary = w
        .expect(&[
            ("alice", w.alice, b[0], I256::ZERO),
            ("watcher", w.guard, b[1], I256::ZERO),
        ])
        .await?;
    Ok(format!("{N} exits in batches of {BATCH}; {summary}"))
}

/// The operator stops committing blocks: the watcher reports it; nothing moves.
async fn stalled<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let w = World::new(l1).await?;
    let mut watcher = w.watcher(Mode::Archival).await?;
    watcher.step().await?;
    let b = w.balances(&[w.guard]).await?;
    let anchor0 = w.l1.balance(w.chain.address()).await?;
    w.l1.advance_time(3_601).await?;
    let ev = watcher.step().await?;
    ensure!(
        ev.iter()
            .any(|e| matches!(e, WatchEvent::OperatorStalled { .. })),
        "no stall reported: {ev:?}"
    );
    ensure!(w.l1.balance(w.chain.address()).await? == anchor0);
    w.expect(&[("watcher", w.guard, b[0], I256::ZERO)]).await
}

/// Bob really pays the operator, in a block the operator withholds; the operator exits. The
/// watcher cannot tell, asks for Bob's spend; the operator answers with it and keeps the coins;
/// the watcher pays a quarter bond for defending across a withheld block.
async fn withheld_honest<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let mut w = World::new(l1).await?;
    let (seg_b, pay) = w.spend_of_deposit_b(w.bob, w.operator)?;
    let pay = pay.sign(w.op.domain(), &w.keys[2..3])?;
    let n = w.op.commit(vec![pay.clone()], true).await?;
    let mut watcher = w.watcher(Mode::Guard(vec![seg_b])).await?;
    let ev = watcher.step().await?;
    ensure!(
        ev.contains(&WatchEvent::BlockWithheld { block: n }),
        "{ev:?}"
    );
    let b = w.balances(&[w.bob, w.guard, w.operator]).await?;
    let id = pay.tx_id(w.op.domain());
    let proof = w.op.proof(n, &seg_b, id)?;
    let header = w.op.header(n)?;
    let exit = w.exit_output(w.operator, &pay, 0, n, &seg_b).await?;
    let ev = watcher.step().await?;
    ensure!(did(&ev, "request"), "watcher did not request: {ev:?}");
    let request = w
        .chain
        .exit_events(0)
        .await?
        .into_iter()
        .find_map(|e| match e {
            ExitEvent::ChallengeRequested(r) => Some(r),
            _ => None,
        })
        .ok_or_else(|| eyre::eyre!("no request on L1"))?;
    let answer = spend_proof(&pay, 0, &header, &proof)?;
    w.chain
        .respond_challenge(w.operator, &exit, &request, &answer)
        .await?;
    let ev = watcher.step().await?;
    ensure!(
        ev.iter()
            .any(|e| matches!(e, WatchEvent::RequestAnswered { .. })),
        "{ev:?}"
    );
    ensure!(
        !did(&ev, "request"),
        "the watcher repeated an answered request: {ev:?}"
    );
    w.l1.advance_time(PERIOD + 1).await?;
    let key = w.chain.range_key(seg_b.start(), 0).await?;
    w.chain.finalize_exit(w.operator, &exit, key).await?;
    // The watcher's answered request bond was credited to the exit's owner (§3.4.2, §5.3).
    w.chain.claim(w.operator).await?;
    let quarter = w.bond_delta() / I256::try_from(4).unwrap_or_default();
    w.expect(&[
        ("bob", w.bob, b[0], I256::ZERO),
        ("watcher", w.guard, b[1], -quarter),
        ("operator", w.operator, b[2], d_eth(1) + quarter),
    ])
    .await
}

/// Bob exits half of what Alice paid him and is paid; then he exits the whole output again. The
/// second exit can never settle; the watcher cancels it with the settled one and takes its bond.
async fn settled_coins<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let (w, mut watcher) = World::guarded(l1).await?;
    let b = w.balances(&[w.bob, w.guard]).await?;
    let paid = w.t1.transaction.outputs[0].segment;
    let half = paid.start() + U256::from(ETH / 2);
    let proof = w.op.proof(1, &paid, w.t1.tx_id(w.op.domain()))?;
    let header = w.op.header(1)?;
    let first = w
        .chain
        .start_output_exit(
            w.bob,
            &w.t1.transaction,
            0,
            &header,
            &proof,
            paid.start(),
            half,
        )
        .await?;
    watcher.step().await?;
    w.l1.advance_time(PERIOD + 1).await?;
    let key = w.chain.range_key(paid.start(), 0).await?;
    w.chain.finalize_exit(w.bob, &first, key).await?;
    let again = w.exit_output(w.bob, &w.t1, 0, 1, &paid).await?;
    let ev = watcher.step().await?;
    ensure!(did(&ev, "withdrawn"), "watcher did not challenge: {ev:?}");
    ensure!(w.chain.exit_status(&again).await? == ExitStatus::Cancelled);
    w.expect(&[
        (
            "bob",
            w.bob,
            b[0],
            d_eth(1) / I256::try_from(2).unwrap_or_default() - w.bond_delta(),
        ),
        ("watcher", w.guard, b[1], w.bond_delta()),
    ])
    .await
}

/// The operator censors Bob's payment of his deposit to Alice; Bob forces it on L1
/// (`docs/exit-game.md` §12) and signs it there. The operator forces a claim of the same deposit
/// for itself; the watcher cancels it (§12.2 (b)) for the forcing bond and leaves Bob's alone. Bob's
/// is included (§12.3), Alice exits the forced output (§12.4) and is paid.
async fn forced_inclusion<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let (w, mut watcher) = World::guarded(l1).await?;
    let force_bond = w.chain.force_bond().await?;
    let b = w.balances(&[w.alice, w.bob, w.operator, w.guard]).await?;
    let (seg_b, pay) = w.spend_of_deposit_b(w.bob, w.alice)?;
    // Censored by the operator: Bob forces it and signs it on L1.
    let k = w.chain.force(w.bob, &pay).await?.index;
    let signed = pay.sign(w.op.domain(), &w.keys[2..3])?;
    w.chain.sign_forced_all(w.bob, k, &signed).await?;
    // The operator claims Bob's deposit by force.
    let (_, claim) = w.spend_of_deposit_b(w.operator, w.operator)?;
    let k_claim = w.chain.force(w.operator, &claim).await?.index;
    let ev = watcher.step().await?;
    let forced: Vec<(u64, &str)> = ev
        .iter()
        .filter_map(|e| match e {
            WatchEvent::ForcedChallenged { index, how } => Some((*index, how.as_str())),
            _ => None,
        })
        .collect();
    ensure!(
        forced == vec![(k_claim, "forcedDeposit")],
        "the watcher did not cancel only the claim: {ev:?}"
    );
    ensure!(w.chain.forced_state(k_claim).await?.status == ForcedStatus::Cancelled);
    w.l1.advance_time(PERIOD + 1).await?;
    w.chain.finalize_forced(w.bob, k).await?;
    ensure!(w.chain.forced_state(k).await?.status == ForcedStatus::Included);
    // The forcing bond is credited back to Bob, who pulls it (docs/exit-game.md §5.3).
    w.chain.claim_forced(w.bob).await?;

    // Alice exits the forced output and is paid.
    let exit = w
        .chain
        .start_forced_exit(w.alice, &pay, 0, k, seg_b.start(), seg_b.end())
        .await?;
    let ev = watcher.step().await?;
    ensure!(
        !ev.iter()
            .any(|e| matches!(e, WatchEvent::Challenged { .. })),
        "the watcher challenged the honest exit: {ev:?}"
    );
    w.l1.advance_time(PERIOD + PERIOD / 2 + 1).await?;
    let key = w.chain.range_key(seg_b.start(), 0).await?;
    w.chain.finalize_exit(w.alice, &exit, key).await?;
    ensure!(w.chain.exit_status(&exit).await? == ExitStatus::Withdrawn);
    let fb = I256::from_raw(force_bond);
    w.expect(&[
        ("alice", w.alice, b[0], d_eth(1)),
        ("bob", w.bob, b[1], I256::ZERO),
        ("operator", w.operator, b[2], -fb),
        ("watcher", w.guard, b[3], fb),
    ])
    .await
}

/// A payment in flight (docs/exit-game.md §3.4.1): Bob signs a payment of his deposit to Alice.
/// The operator first commits a forged spend of that deposit to itself (`self_signed`: its input
/// names the operator as the deposit's owner and carries the operator's valid signature;
/// otherwise it names Bob and carries no signature of his), then includes Bob's payment. The
/// operator may not name its forged output against Alice's exit (newer than her parent, Bob's
/// deposit); its own exit of the forgery falls to the watcher's unanswerable request on the
/// deposit. Alice is paid, the watcher earns the operator's bond, Bob is untouched.
async fn in_flight<L: L1 + Clone + 'static>(l1: L, self_signed: bool) -> Result<String> {
    let mut w = World::new(l1).await?;
    let (seg_b, pay) = w.spend_of_deposit_b(w.bob, w.alice)?;
    let pay = pay.sign(w.op.domain(), &w.keys[2..3])?;
    let forged = if self_signed {
        w.spend_of_deposit_b(w.operator, w.operator)?
            .1
            .sign(w.op.domain(), &w.keys[0..1])?
    } else {
        w.forged_spend_of_bob()?
    };
    let n_forged = w.op.commit(vec![forged.clone()], false).await?;
    let n_pay = w.op.commit(vec![pay.clone()], false).await?;
    let mut watcher = w.watcher(w.all_coins()?).await?;
    watcher.step().await?;
    let b = w.balances(&[w.alice, w.guard, w.operator, w.bob]).await?;
    let alice_exit = w.exit_output(w.alice, &pay, 0, n_pay, &seg_b).await?;
    let fraud = w
        .exit_output(w.operator, &forged, 0, n_forged, &seg_b)
        .await?;
    // The attack of the review: name the forged output against Alice's exit. Refused.
    let forged_out = output_proof(
        &forged.transaction,
        0,
        &w.op.header(n_forged)?,
        &w.op.proof(n_forged, &seg_b, forged.tx_id(w.op.domain()))?,
    )?;
    let griefed = w
        .chain
        .request_with_output(
            w.operator,
            &alice_exit,
            &pay.transaction,
            &forged_out,
            seg_b.start(),
        )
        .await;
    ensure!(
        griefed.is_err(),
        "a request naming the forged output against Alice's exit was accepted"
    );
    let ev = watcher.step().await?;
    ensure!(
        did(&ev, "request"),
        "watcher did not challenge the forgery: {ev:?}"
    );
    ensure!(
        w.chain.exit_status(&alice_exit).await? == ExitStatus::Pending,
        "Alice's exit was touched"
    );
    w.l1.advance_time(PERIOD / 2 + 1).await?;
    watcher.step().await?;
    ensure!(w.chain.exit_status(&fraud).await? == ExitStatus::Cancelled);
    w.l1.advance_time(PERIOD).await?;
    let key = w.chain.range_key(seg_b.start(), 0).await?;
    w.chain.finalize_exit(w.alice, &alice_exit, key).await?;
    ensure!(w.chain.exit_status(&alice_exit).await? == ExitStatus::Withdrawn);
    w.expect(&[
        ("alice", w.alice, b[0], I256::from_raw(seg_b.len())),
        ("watcher", w.guard, b[1], w.bond_delta()),
        ("operator", w.operator, b[2], -w.bond_delta()),
        ("bob", w.bob, b[3], I256::ZERO),
    ])
    .await
}

/// Late settlement of a forced transaction (docs/exit-game.md §12.3): Alice forces a transfer of
/// her change to a second address of hers (here the operator's account, her accomplice), leaves it
/// matured but unsettled, pays Bob the same coins on L2 (the operator includes it), and settles
/// the forced transaction right after Bob's block. It ranks after that block: it is no earlier
/// spend against Bob's exit, and Bob's earlier payment cancels the accomplice's exit.
async fn late_forced_settlement<L: L1 + Clone + 'static>(l1: L) -> Result<String> {
    let mut w = World::new(l1).await?;
    let change = w.t1.transaction.outputs[1].segment;
    let mut input = tx_input(w.alice, 1, change);
    input.output_index = 1;
    let back = transfer(input, w.operator, w.max_block_index);
    let b = w.balances(&[w.alice, w.bob, w.operator]).await?;
    let k = w.chain.force(w.alice, &back).await?.index;
    let signed = back.sign(w.op.domain(), &w.keys[1..2])?;
    w.chain.sign_forced_all(w.alice, k, &signed).await?;
    w.l1.advance_time(PERIOD + 1).await?;
    let pay = transfer(input, w.bob, w.max_block_index).sign(w.op.domain(), &w.keys[1..2])?;
    let m = w.op.commit(vec![pay.clone()], false).await?;
    w.chain.finalize_forced(w.alice, k).await?;
    w.chain.claim_forced(w.alice).await?;
    let state = w.chain.forced_state(k).await?;
    ensure!(state.status == ForcedStatus::Included);
    ensure!(
        state.position & U256::from(u128::MAX) == U256::from(m * 2 + 1),
        "the forced transaction must rank after block {m}: {}",
        state.position
    );
    let bob_exit = w.exit_output(w.bob, &pay, 0, m, &change).await?;
    let accomplice_exit = w
        .chain
        .start_forced_exit(w.operator, &back, 0, k, change.start(), change.end())
        .await?;
    // The attack: the forced transaction as an "earlier" spend against Bob's exit. Refused.
    let forced_spend = debye_l1::forced::forced_spend_proof(&back, 0, k)?;
    let attack = w
        .chain
        .challenge_double_spend(w.operator, &bob_exit, &pay.transaction, 0, &forced_spend)
        .await;
    ensure!(
        attack.is_err(),
        "the late forced transaction cancelled Bob's exit"
    );
    // Bob's payment is the earlier spend: it cancels the accomplice's exit, for its bond.
    let header = w.op.header(m)?;
    let proof = w.op.proof(m, &change, pay.tx_id(w.op.domain()))?;
    let earlier = spend_proof(&pay, 0, &header, &proof)?;
    w.chain
        .challenge_double_spend(w.bob, &accomplice_exit, &back, 0, &earlier)
        .await?;
    ensure!(w.chain.exit_status(&accomplice_exit).await? == ExitStatus::Cancelled);
    w.chain.claim(w.bob).await?;
    w.l1.advance_time(PERIOD + 1).await?;
    let key = w.chain.range_key(change.start(), 0).await?;
    w.chain.finalize_exit(w.bob, &bob_exit, key).await?;
    ensure!(w.chain.exit_status(&bob_exit).await? == ExitStatus::Withdrawn);
    w.expect(&[
        ("alice", w.alice, b[0], I256::ZERO),
        (
            "bob",
            w.bob,
            b[1],
            I256::from_raw(change.len()) + w.bond_delta(),
        ),
        ("operator", w.operator, b[2], -w.bond_delta()),
    ])
    .await
}
