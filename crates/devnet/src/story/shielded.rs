//! The demo's shielded act, played by the same operator node, wallets and watcher as the rest of
//! the story (docs/shielded.md): Alice shields 1,000 dUSD in the pool, the operator imports the
//! deposit from L1's log and commits it, Alice pays Bob 400 privately (her wallet proves the
//! JoinSplit), Bob's wallet finds the note by scanning committed blocks with his viewing key, and
//! Bob exits the whole note to a fresh address through a relayer, who sends `startExit` with the
//! bond and earns a fee. Each step says what an L1 observer sees; at the end every L1
//! transaction of the run is searched for what the deposit and the payment must keep off L1
//! (S-6.3: the exit shows none of the deposit's fields; the payment shows nothing but a header
//! hash).

use std::{path::Path, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use debye_l1::{
    L1,
    contracts::{DebyeChain, TestTokenClient},
    pool::{ShieldedPool, ShieldedPoolClient},
};
use debye_primitives::Block;
use debye_wallet::{
    Passphrase, Wallet,
    shielded::{
        REP_SECS,
        exit::{ExitParams, RelayRequest},
        fr_to_u256,
        notes::NoteStatus,
        scan::Scanner,
        token_field,
        transfer::TransferRequest,
    },
    source::BlockSource,
    wallet::private_l1::{finalize, relay},
};
use debye_zk::groth16::{self, JoinSplitProvingKey};

use super::{DEMO_KDF, Net, PATIENCE, alarming, devnet_key, until};
use crate::{
    CommittedBlock, DepositSeen, Error, ExitSeen, ObserverCheck, PaymentSeen, Payouts, Result,
    ShieldedReport,
    meter::{Metered, Sent},
    observer::{Pattern, PublicDeposit, Seen, anonymity_set, exposures, log_bytes},
    text::{ETHER, TOKEN_UNIT, ether, short},
};

/// dUSD's note unit: a cent (10,000 of its 6-decimal base units), so fees can be fractions.
const UNIT: u64 = (TOKEN_UNIT / 100) as u64;
/// Cents per dUSD.
const CENTS: u64 = 100;
/// What Alice shields: 1,000 dUSD.
const SHIELDED: u64 = 1_000 * CENTS;
/// What she pays Bob privately: 400 dUSD.
const PAID: u64 = 400 * CENTS;
/// The relayer's fee for Bob's exit: 2.50 dUSD.
const FEE: u64 = 250;
/// How long a proven request may wait for its transaction (the wallet rounds expiries).
const TTL: u64 = 3_600;

/// Whole dUSD and cents.
fn dusd(cents: u64) -> String {
    format!("{}.{:02} dUSD", cents / CENTS, cents % CENTS)
}

fn at(sent: &[Sent], i: usize) -> Result<&Sent> {
    sent.get(i)
        .ok_or_else(|| Error::Inconsistent(format!("no L1 transaction {i}")))
}

/// Index in `sent` (from `from`) of the first transaction to the pool with `selector`.
fn find(sent: &[Sent], from: usize, selector: [u8; 4], what: &str) -> Result<usize> {
    sent.iter()
        .enumerate()
        .skip(from)
        .find(|(_, s)| s.selector() == Some(selector))
        .map(|(i, _)| i)
        .ok_or_else(|| Error::Inconsistent(format!("no {what} transaction on L1")))
}

fn seen(s: &Sent) -> Seen {
    Seen {
        tx_hash: s.receipt.tx_hash,
        input: s.input.clone(),
        logs: s
            .receipt
            .logs
            .iter()
            .map(|l| log_bytes(&l.topics, &l.data))
            .collect(),
    }
}

impl<F: FnMut(String)> Net<F> {
    /// Moves L1's clock `seconds` ahead and lets the operator's L1 poll see it: it stamps the
    /// next block with L1's time and checks each entry's expiry against that stamp (S-8.3), so a
    /// wallet proving with the new time must not reach it first.
    async fn later(&self, seconds: u64) -> Result<()> {
        self.l1.advance_time(seconds).await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(())
    }

    /// Waits until the operator has something for a block (an imported deposit or an admitted
    /// entry) and builds it, waits until L1 commits it, checks L1 stores its header hash and it
    /// holds `entries` shielded entries, and lets the watcher look at it.
    async fn commit_shielded(&mut self, what: &str, entries: u32) -> Result<Block> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let n = loop {
            if let Some(n) = self.node.flush().await? {
                break n;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(Error::Timeout(what.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let node = &self.node;
        until(&format!("block {n} committed on L1"), || async {
            Ok(node.status().l1_committed >= n)
        })
        .await?;
        let block =
            self.api.block(n).await?.ok_or_else(|| {
                Error::Inconsistent(format!("the operator does not serve block {n}"))
            })?;
        let stored = self.chain.block_hash(n).await?;
        if stored != block.header.hash() || block.header.entry_count != entries {
            return Err(Error::Inconsistent(format!(
                "block {n}: L1 stores {stored}, the operator serves {} with {} shielded entries, expected {entries}",
                block.header.hash(),
                block.header.entry_count,
            )));
        }
        let gas = self.submit_gas(n)?;
        self.blocks.push(CommittedBlock {
            header: block.header,
            hash: block.header.hash(),
            transactions: block.transactions.len(),
            l1_gas: gas,
        });
        let events = self.watcher.step().await?;
        if let Some(e) = events.iter().find(|e| alarming(e)) {
            return Err(Error::Inconsistent(format!(
                "the watcher objects to honest block {n}: {e:?}"
            )));
        }
        Ok(block)
    }
}

/// The parties the act needs from the story.
pub(super) struct Cast<'a> {
    pub(super) operator: Address,
    pub(super) token: &'a TestTokenClient<Arc<Metered>>,
    pub(super) alice: &'a mut Wallet,
    pub(super) bob: &'a mut Wallet,
    pub(super) passphrase: &'a Passphrase,
    pub(super) dir: &'a Path,
}

/// Plays the shielded act on `net` and returns what it showed.
#[allow(clippy::too_many_lines)] // one story, told in order
pub(super) async fn act<F: FnMut(String)>(
    net: &mut Net<F>,
    cast: Cast<'_>,
) -> Result<ShieldedReport> {
    let Cast {
        operator,
        token,
        alice,
        bob,
        passphrase,
        dir,
    } = cast;
    let pool = ShieldedPoolClient::of_chain(&net.chain).await?;
    let chain_id = net.l1.chain_id().await?;
    pool.list_token(operator, token.address(), UNIT).await?;
    net.step(
        "shielded pool",
        format!(
            "the pool at {} lists dUSD with a note unit of {UNIT} base units (one cent)",
            pool.address()
        ),
        None,
    );
    let pk = proving_key()?;
    let alice_keys = alice.shielded_keys(passphrase)?;
    let bob_keys = bob.shielded_keys(passphrase)?;
    let (alice_scan, bob_scan) = (
        Scanner::new(alice_keys.clone()),
        Scanner::new(bob_keys.clone()),
    );
    let field = fr_to_u256(&token_field(Some(token.address())));

    // 1. The deposit: public by nature.
    token
        .mint(
            operator,
            alice.address(),
            U256::from(SHIELDED) * U256::from(UNIT),
        )
        .await?;
    let first = net.l1.sent().len();
    let dep = alice
        .deposit_private(&pool, &alice_keys, Some(token.address()), SHIELDED)
        .await?;
    let sent = net.l1.sent();
    let dep_i = find(
        &sent,
        first,
        ShieldedPool::depositTokenCall::SELECTOR,
        "depositToken",
    )?;
    let dep_tx = at(&sent, dep_i)?;
    net.step(
        "alice shields",
        format!(
            "her wallet deposits {} into the pool as a note to herself. L1 sees: depositor {}, amount {} ({} base units), commitment {} (computed on L1 from her owner part)",
            dusd(SHIELDED),
            alice.address(),
            dusd(SHIELDED),
            dep.base_units,
            short(dep.deposit.commitment.into()),
        ),
        Some(dep_tx.receipt.gas_used),
    );
    let b_dep = net.commit_shielded("the deposit imported", 1).await?;
    if b_dep.header.deposit_cursor != dep.index + 1 {
        return Err(Error::Inconsistent(format!(
            "block {} has depositCursor {}, deposit {} was queued",
            b_dep.header.number, b_dep.header.deposit_cursor, dep.index
        )));
    }
    net.step(
        &format!("commit block {}", b_dep.header.number),
        format!(
            "the operator imports deposit {} from the pool's log and appends its commitment (and a zero filler leaf): {} leaves in the tree, depositCursor {}, header {} on L1",
            dep.index,
            b_dep.header.note_count,
            b_dep.header.deposit_cursor,
            short(b_dep.header.hash())
        ),
        Some(net.submit_gas(b_dep.header.number)?),
    );
    alice.sync(&net.chain, &net.api).await?;
    let shielded = |w: &Wallet| w.state().shielded.balances().get(&field).map_or(0, |b| b.0);
    if shielded(alice) != SHIELDED {
        return Err(Error::Inconsistent(format!(
            "alice's wallet counts {} shielded, she deposited {}",
            dusd(shielded(alice)),
            dusd(SHIELDED)
        )));
    }

    // 2. The private payment, a day later: a proof against a root a day old does not tell the
    // operator when her note arrived (S-6.4).
    net.later(REP_SECS).await?;
    let now = net.l1.timestamp().await?;
    let bob_address = bob
        .state()
        .shielded
        .address
        .ok_or_else(|| Error::Inconsistent("bob's wallet has no shielded address".into()))?;
    let t = alice.build_private_transfer(
        &alice_scan,
        pk,
        &TransferRequest {
            to: bob_address,
            token: field,
            amount: PAID,
            chain_id,
            pool: pool.address(),
            now,
            ttl: TTL,
        },
    )?;
    net.api.submit_shielded(&t.to_rpc()).await?;
    net.step(
        "alice pays bob privately",
        format!(
            "her wallet proves a JoinSplit on her machine: {} to {}…, {} back to her; the operator sees two commitments, two nullifiers, two ciphertexts and the proof, no owner and no amount",
            dusd(PAID),
            &bob_address.to_string()[..12],
            dusd(SHIELDED - PAID),
        ),
        None,
    );
    let b_pay = net.commit_shielded("the private payment", 1).await?;
    net.step(
        &format!("commit block {}", b_pay.header.number),
        format!(
            "L1 sees one thing for the payment: header hash {} ({} leaves in the tree)",
            short(b_pay.header.hash()),
            b_pay.header.note_count
        ),
        Some(net.submit_gas(b_pay.header.number)?),
    );
    let found = bob.sync(&net.chain, &net.api).await?.notes_received;
    alice.sync(&net.chain, &net.api).await?;
    let note = found
        .iter()
        .find(|r| r.amount == PAID && r.token == field)
        .ok_or_else(|| {
            Error::Inconsistent(format!("bob's scan found {found:?}, not the payment"))
        })?;
    if shielded(bob) != PAID || shielded(alice) != SHIELDED - PAID {
        return Err(Error::Inconsistent(format!(
            "after the payment alice holds {} and bob {} shielded",
            dusd(shielded(alice)),
            dusd(shielded(bob))
        )));
    }
    let position = note.position;
    net.step(
        "bob scans",
        format!(
            "his wallet trial-decrypts block {}'s ciphertexts with his viewing key and finds a note of {} at leaf {position}, its commitment checked against the committed noteRoot",
            b_pay.header.number,
            dusd(PAID)
        ),
        None,
    );

    // 3. The exit, a day later again (the root it names is then a day old), to an address that
    // never held anything, through a relayer who pays the gas and the bond.
    net.later(REP_SECS).await?;
    let fresh = devnet_key("bob's fresh address")?.address();
    let relayer = Wallet::import_key(
        &dir.join("relayer"),
        devnet_key("relayer")?,
        passphrase,
        DEMO_KDF,
    )?;
    net.l1.fund(relayer.address(), U256::from(ETHER));
    let now = net.l1.timestamp().await?;
    let exit = bob.state().shielded.build_exit(
        &bob_scan,
        pk,
        &ExitParams {
            position,
            recipient: fresh,
            fee: FEE,
            fee_recipient: relayer.address(),
            chain_id,
            pool: pool.address(),
            now,
            ttl: TTL,
            allow_young_root: false,
        },
    )?;
    bob.record_private_exit(&exit)?;
    let file = dir.join("relay-request.json");
    let text = serde_json::to_string_pretty(&RelayRequest::new(exit.clone()))
        .map_err(|e| Error::Inconsistent(format!("relay request: {e}")))?;
    std::fs::write(&file, text)?;
    net.step(
        "bob exits privately",
        format!(
            "his wallet proves the exit of his whole note to fresh address {fresh} with a {} fee, against block {}'s root, and writes a relay request ({})",
            dusd(FEE),
            exit.root_header.number,
            file.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
        ),
        None,
    );
    let request = RelayRequest::parse(&std::fs::read_to_string(&file)?)?;
    let first = net.l1.sent().len();
    let started = relay(&pool, relayer.address(), &request).await?;
    let sent = net.l1.sent();
    let exit_i = find(
        &sent,
        first,
        ShieldedPool::startExitCall::SELECTOR,
        "startExit",
    )?;
    // Which notes under the exit's root it could be (S-6.3): not the zero fillers, not a deposit
    // L1 showed with another amount (exits take whole notes).
    let leaves = exit.root_header.note_count;
    let under_root: Vec<U256> = bob
        .state()
        .shielded
        .leaves
        .iter()
        .take(usize::try_from(leaves).unwrap_or(usize::MAX))
        .copied()
        .collect();
    let filler = [U256::ZERO, fr_to_u256(&debye_zk::note::cm_zero())];
    let tip = net.l1.block_number().await?;
    let public: Vec<PublicDeposit> = pool
        .deposits(0, tip)
        .await?
        .into_iter()
        .map(|d| PublicDeposit {
            cm: d.event.cm,
            token: d.event.token,
            amount: d.event.amountUnits,
        })
        .collect();
    let notes = anonymity_set(&under_root, &filler, &[], exit.token, exit.amount);
    let anonymity = anonymity_set(&under_root, &filler, &public, exit.token, exit.amount);
    net.step(
        "relayer starts the exit",
        format!(
            "a third wallet sends startExit with a bond of {} ETH. L1 sees: nullifiers {} and {}, amount {}, recipient {fresh}, fee {} to the relayer; no depositor, commitment or deposit amount. Anonymity set: {notes} notes under block {}'s root ({leaves} leaves with fillers); L1 showed each deposit's amount and exits take whole notes, so to an observer it could be any of {anonymity} of them",
            ether(started.bond),
            short(exit.nullifiers[0].into()),
            short(exit.nullifiers[1].into()),
            dusd(exit.amount),
            dusd(FEE),
            exit.root_header.number
        ),
        Some(at(&sent, exit_i)?.receipt.gas_used),
    );

    // 4. After the exit period anyone processes the queue; the fresh address needs no gas.
    let now = net.l1.timestamp().await?;
    net.later(started.exitable_at.saturating_sub(now) + 1)
        .await?;
    let fresh_before = token.balance_of(fresh).await?;
    let relayer_before = token.balance_of(relayer.address()).await?;
    let done = finalize(
        &pool,
        relayer.address(),
        token.address(),
        &[fresh, relayer.address()],
    )
    .await?;
    let payouts = Payouts {
        recipient: token.balance_of(fresh).await? - fresh_before,
        relayer_fee: token.balance_of(relayer.address()).await? - relayer_before,
    };
    let unit = U256::from(UNIT);
    if !done.paid.contains(&started.index)
        || payouts.recipient != U256::from(PAID - FEE) * unit
        || payouts.relayer_fee != U256::from(FEE) * unit
    {
        return Err(Error::Inconsistent(format!(
            "the exit paid {} to {fresh} and {} to the relayer (base units), expected {} and {}: {done:?}",
            payouts.recipient,
            payouts.relayer_fee,
            U256::from(PAID - FEE) * unit,
            U256::from(FEE) * unit
        )));
    }
    let finalize_gas = net.l1.sent()[exit_i + 1..]
        .iter()
        .map(|s| s.receipt.gas_used)
        .sum();
    net.step(
        "fresh address paid",
        format!(
            "after the exit period the relayer processes the queue and withdraws: {fresh} receives {} and the relayer {}",
            dusd(PAID - FEE),
            dusd(FEE)
        ),
        Some(finalize_gas),
    );
    bob.sync(&net.chain, &net.api).await?;
    let exited = bob.state().shielded.notes.iter().any(|n| {
        n.position == position
            && n.status
                == NoteStatus::Exited {
                    exit: started.index,
                }
    });
    if !exited || shielded(bob) != 0 {
        return Err(Error::Inconsistent(
            "bob's wallet does not show his note exited".into(),
        ));
    }

    // 5. The L1 observer: everything L1 holds, searched.
    let sent = net.l1.sent();
    let all: Vec<Seen> = sent.iter().map(seen).collect();
    let base = |units: u64| U256::from(units) * unit;
    let amounts = |units: u64| [U256::from(units), base(units)];
    let owners = [
        Pattern::word(
            "alice's note owner",
            fr_to_u256(&alice_keys.address().owner),
        ),
        Pattern::word("bob's note owner", fr_to_u256(&bob_keys.address().owner)),
    ];
    let d = &dep.deposit;
    let deposit_fields = [
        Pattern::word("deposit commitment", d.commitment),
        Pattern::word("deposit owner part", d.owner_part),
        Pattern::address("depositor", alice.address()),
        Pattern::amount("deposit amount", &amounts(SHIELDED)),
        Pattern::blob("deposit ciphertext", &d.ciphertext),
    ];
    // The payment's amounts may show in the exit (it pays Bob's whole note); nothing else of
    // it may show anywhere on L1.
    let payment_amounts = [
        Pattern::amount("payment amount", &amounts(PAID)),
        Pattern::amount("payment change", &amounts(SHIELDED - PAID)),
    ];
    let mut payment_fields = owners.to_vec();
    for i in 0..2 {
        payment_fields.push(Pattern::word("payment commitment", t.commitments[i]));
        payment_fields.push(Pattern::word("payment nullifier", t.nullifiers[i]));
        payment_fields.push(Pattern::blob("payment ciphertext", &t.ciphertexts[i]));
    }
    let between = &all[dep_i + 1..exit_i];
    let not_block = sent[dep_i + 1..exit_i]
        .iter()
        .filter(|s| s.selector() != Some(DebyeChain::submitBlockCall::SELECTOR))
        .count();
    let mut payment_on_l1 = exposures(&payment_amounts, between);
    payment_on_l1.extend(exposures(&payment_fields, &all));
    // The search must see what is there: the deposit's own transaction shows each of its
    // fields, and the exit shows the amount Bob was paid (it is the whole note's).
    let controls: Vec<String> = exposures(&deposit_fields, &all[dep_i..=dep_i])
        .into_iter()
        .chain(exposures(&payment_amounts[..1], &all[exit_i..=exit_i]))
        .map(|e| e.what)
        .collect();
    for p in deposit_fields.iter().chain(&payment_amounts[..1]) {
        if !controls.contains(&p.name) {
            return Err(Error::Inconsistent(format!(
                "the L1 search misses {} where it is: it would miss it anywhere",
                p.name
            )));
        }
    }
    let observer = ObserverCheck {
        transactions_searched: all.len(),
        logs_searched: all.iter().map(|s| s.logs.len()).sum(),
        deposit_fields_in_exit: exposures(&deposit_fields, &all[exit_i..=exit_i]),
        payment_fields_on_l1: payment_on_l1,
    };
    if !observer.deposit_fields_in_exit.is_empty()
        || !observer.payment_fields_on_l1.is_empty()
        || not_block > 0
    {
        return Err(Error::Inconsistent(format!(
            "an L1 observer learns too much: {observer:?}; {not_block} transaction(s) between the deposit and the exit are not submitBlock"
        )));
    }
    net.step(
        "l1 observer",
        format!(
            "searched {} L1 transactions and {} logs: no owner, commitment, nullifier or ciphertext of the payment anywhere, and no amount of it before the exit ({} submitBlock(s) between the deposit and the exit, nothing else); no field of the deposit in the exit",
            observer.transactions_searched,
            observer.logs_searched,
            between.len()
        ),
        None,
    );
    Ok(ShieldedReport {
        pool: pool.address(),
        unit: UNIT,
        deposit: DepositSeen {
            depositor: alice.address(),
            amount: SHIELDED,
            commitment: d.commitment,
            index: dep.index,
            block: b_dep.header.number,
            l1_gas: dep_tx.receipt.gas_used,
        },
        payment: PaymentSeen {
            block: b_pay.header.number,
            header_hash: b_pay.header.hash(),
            l1_transactions: between.len(),
            prove_ms: t.prove_ms,
            notes_found_by_bob: found.len(),
        },
        exit: ExitSeen {
            index: started.index,
            nullifiers: exit.nullifiers,
            amount: exit.amount,
            recipient: fresh,
            fee: FEE,
            relayer: relayer.address(),
            root_block: exit.root_header.number,
            leaves_under_root: leaves,
            notes_under_root: notes,
            anonymity_set: anonymity,
            exitable_at: started.exitable_at,
            l1_gas: at(&sent, exit_i)?.receipt.gas_used,
            prove_ms: exit.prove_ms,
        },
        payouts,
        observer,
    })
}

/// The JoinSplit proving key of the development setup, the one the operator and the pool's
/// verifier use (docs/circuits.md §8: INSECURE, a devnet's key).
fn proving_key() -> Result<&'static JoinSplitProvingKey> {
    static PK: std::sync::OnceLock<JoinSplitProvingKey> = std::sync::OnceLock::new();
    if let Some(pk) = PK.get() {
        return Ok(pk);
    }
    let (pk, _) = groth16::insecure_dev_setup()
        .map_err(|e| Error::Inconsistent(format!("proving key: {e}")))?;
    Ok(PK.get_or_init(|| pk))
}
