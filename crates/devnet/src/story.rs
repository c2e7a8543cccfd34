//! The story `debye demo` tells, played by the real parts: a `debye-operator` node serving its
//! JSON-RPC API on a loopback port, two `debye-wallet` wallets that talk to it only through that
//! API and check everything against L1, and a `debye-watcher` that follows L1 and the operator and
//! challenges a fraudulent exit. All of them share one embedded EVM as L1.

use std::{future::Future, sync::Arc, time::Duration};

use alloy_primitives::{Address, U256, keccak256};
use alloy_sol_types::SolCall;
use debye_l1::{
    L1,
    contracts::{DebyeChain, DebyeChainClient, TestTokenClient},
    exits::{self, ExitStatus},
};
use debye_operator::{Config, Operator};
use debye_primitives::{Block, Segment, coin};
use debye_rpc_api::{DebyeApiClient, HttpClient, http_client};
use debye_wallet::{
    AccountKey, Passphrase, Wallet, history::Evidence, keystore::ScryptParams, rpc::RpcSource,
    source::BlockSource, store::CoinStatus,
};
use debye_watcher::{Mode, WatchEvent, Watcher};
use k256::ecdsa::SigningKey;

use crate::{
    CommittedBlock, Error, Party, Report, Result, Step,
    meter::Metered,
    text::{ETHER, TOKEN_UNIT, describe, ether, short},
};

mod shielded;

type Chain = DebyeChainClient<Arc<Metered>>;

/// How long the story waits for the node's background work (L1 sync, block submission).
const PATIENCE: Duration = Duration::from_secs(30);

/// Blocks a transaction stays valid for after the current tip.
const VALIDITY: u64 = 10;

/// The demo's wallets are throwaway: cheap key derivation keeps the run well under a second.
const DEMO_KDF: ScryptParams = ScryptParams {
    n: 1 << 10,
    r: 8,
    p: 1,
};

/// A deterministic devnet key (never use these outside a devnet).
fn devnet_key(name: &str) -> Result<AccountKey> {
    let seed = keccak256(format!("debye devnet key: {name}"));
    let key = SigningKey::from_slice(seed.as_slice())
        .map_err(|e| Error::Inconsistent(format!("devnet key {name}: {e}")))?;
    Ok(AccountKey::from_signing_key(key))
}

/// Polls `done` every few milliseconds until it holds; fails after [`PATIENCE`] saying `what`
/// did not happen.
async fn until<F: Future<Output = Result<bool>>>(
    what: &str,
    mut done: impl FnMut() -> F,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done().await? {
        if tokio::time::Instant::now() > deadline {
            return Err(Error::Timeout(what.to_owned()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// The steps told so far.
struct Log<F> {
    steps: Vec<Step>,
    narrate: F,
}

impl<F: FnMut(String)> Log<F> {
    fn step(&mut self, name: &str, outcome: String, l1_gas: Option<u64>) {
        let gas = l1_gas
            .map(|g| format!("  [L1 gas {g}]"))
            .unwrap_or_default();
        (self.narrate)(format!("• {name}: {outcome}{gas}"));
        self.steps.push(Step {
            name: name.into(),
            outcome,
            ok: true,
            l1_gas,
        });
    }
}

/// The running parts and what the story has recorded so far.
struct Net<F> {
    l1: Arc<Metered>,
    chain: Chain,
    node: Operator,
    api: RpcSource,
    watcher: Watcher<Arc<Metered>, HttpClient>,
    carol: Address,
    blocks: Vec<CommittedBlock>,
    log: Log<F>,
}

impl<F: FnMut(String)> Net<F> {
    fn step(&mut self, name: &str, outcome: String, l1_gas: Option<u64>) {
        self.log.step(name, outcome, l1_gas);
    }

    /// The next block number a fresh transaction may be valid until.
    fn max_block(&self) -> u64 {
        self.node.status().tip + VALIDITY
    }

    /// Has the operator build a block from what it admitted, waits until the operator has
    /// committed it on L1, checks the L1 commitment, and lets the watcher look at it: an honest
    /// block must raise nothing.
    async fn commit_block(&mut self, expect_txs: usize) -> Result<Block> {
        let n =
            self.node.flush().await?.ok_or_else(|| {
                Error::Inconsistent("the operator had no transaction pending".into())
            })?;
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
        if stored != block.header.hash() || block.transactions.len() != expect_txs {
            return Err(Error::Inconsistent(format!(
                "block {n}: L1 stores {stored}, the operator serves {} with {} transactions",
                block.header.hash(),
                block.transactions.len()
            )));
        }
        let gas = self.submit_gas(n)?;
        let leaves = block.tree(&self.node.domain().clone())?.leaves().len();
        self.step(
            &format!("commit block {n}"),
            format!(
                "the operator builds it: {} tx, {leaves} tree leaves, header {} committed on L1",
                block.transactions.len(),
                short(block.header.hash())
            ),
            Some(gas),
        );
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

    /// Gas of the operator's `submitBlock` for block `n`, read from what L1 executed.
    fn submit_gas(&self, n: u64) -> Result<u64> {
        self.l1
            .sent()
            .iter()
            .filter(|s| s.selector() == Some(DebyeChain::submitBlockCall::SELECTOR))
            .find(|s| {
                DebyeChain::submitBlockCall::abi_decode(&s.input)
                    .is_ok_and(|c| c.header.number == n)
            })
            .map(|s| s.receipt.gas_used)
            .ok_or_else(|| Error::Inconsistent(format!("no submitBlock for block {n} on L1")))
    }

    /// Waits until the operator has credited the L1 deposits of `owner` (the node reads them from
    /// the anchor's events).
    async fn credited(&self, owner: Address, coins: usize) -> Result<()> {
        let client = self.api.client();
        until(
            &format!("deposits of {owner} credited by the operator"),
            || async {
                Ok(client
                    .ranges_owned_by(owner)
                    .await
                    .map_err(|e| Error::Api(e.to_string()))?
                    .len()
                    >= coins)
            },
        )
        .await
    }
}

/// Watcher events an honest operator must never cause.
fn alarming(e: &WatchEvent) -> bool {
    !matches!(
        e,
        WatchEvent::Answered { .. } | WatchEvent::BlockRecovered { .. }
    )
}

/// The first owned coin of `token` in `wallet` holding at least `amount`.
fn coin_of(wallet: &Wallet, token: u32, amount: U256) -> Result<Segment> {
    wallet
        .state()
        .coins
        .iter()
        .find(|c| c.status == CoinStatus::Owned && c.token() == token && c.segment.len() >= amount)
        .map(|c| c.segment)
        .ok_or_else(|| {
            Error::Inconsistent(format!(
                "{} holds no coin of {amount} in token {token}",
                wallet.address()
            ))
        })
}

/// The first `amount` coins of `segment`.
fn head(segment: Segment, amount: U256) -> Result<Segment> {
    Ok(Segment::new(segment.start(), segment.start() + amount)?)
}

/// What `wallet` holds on L2 in `token`: the sum of its owned coins.
fn held(wallet: &Wallet, token: u32) -> U256 {
    owned(wallet)
        .iter()
        .filter(|s| s.token() == token)
        .map(Segment::len)
        .sum()
}

fn owned(wallet: &Wallet) -> Vec<Segment> {
    wallet
        .state()
        .coins
        .iter()
        .filter(|c| c.status == CoinStatus::Owned)
        .map(|c| c.segment)
        .collect()
}

/// Runs the story in `dir` (the operator's store, the wallets and the watcher's store live
/// there), calling `narrate` with one line per event.
pub(crate) async fn play(dir: &std::path::Path, narrate: impl FnMut(String)) -> Result<Report> {
    let mut log = Log {
        steps: Vec::new(),
        narrate,
    };
    let l1 = Arc::new(Metered::default());
    let operator = devnet_key("operator")?.address();
    let carol = devnet_key("carol")?.address();
    let passphrase = Passphrase::from("debye devnet");
    let mut alice = Wallet::import_key(
        &dir.join("alice"),
        devnet_key("alice")?,
        &passphrase,
        DEMO_KDF,
    )?;
    let mut bob = Wallet::import_key(&dir.join("bob"), devnet_key("bob")?, &passphrase, DEMO_KDF)?;
    for a in [operator, alice.address(), bob.address()] {
        l1.fund(a, U256::from(100 * ETHER));
    }
    l1.fund(carol, U256::from(ETHER));
    let chain = DebyeChainClient::deploy(l1.clone(), operator, operator).await?;
    let anchor = chain.address();
    log.step(
        "deploy",
        format!(
            "anchor contract at {anchor} on the embedded EVM (chain id {})",
            l1.chain_id().await?
        ),
        None,
    );
    let token = TestTokenClient::deploy(l1.clone(), operator, "Debye USD", "dUSD").await?;
    let token_id = chain.list_token(operator, token.address()).await?;
    log.step(
        "list token",
        format!("dUSD at {} listed as token {token_id}", token.address()),
        None,
    );

    // The operator: blocks are built when the story asks (flush), L1 is read as soon as it moves.
    let mut config = Config {
        data_dir: dir.join("operator"),
        rpc_addr: ([127, 0, 0, 1], 0).into(),
        ..Config::default()
    };
    config.block.interval_ms = 3_600_000;
    config.l1.confirmations = 0;
    config.l1.poll_interval_ms = 5;
    // The shielded ledger: the node verifies proofs for, and imports the queues of, the pool
    // deployed with the anchor.
    config.shielded.pool = Some(chain.shielded_pool().await?);
    let node = Operator::start(config, chain.clone(), operator).await?;
    let url = format!(
        "http://{}",
        node.rpc_addr()
            .ok_or_else(|| Error::Inconsistent("the operator serves no API".into()))?
    );
    let api = RpcSource::connect(&url)?;
    let watcher_config = debye_watcher::Config {
        mode: Mode::Archival,
        account: carol,
        stall_after: 3_600,
        from_l1_block: 0,
        confirmations: 0,
        verify_accumulator: true,
    };
    let watcher = Watcher::open(
        chain.clone(),
        http_client(&url).map_err(|e| Error::Api(e.to_string()))?,
        dir.join("watcher.redb"),
        watcher_config,
    )
    .await?;
    let mut net = Net {
        l1: l1.clone(),
        chain,
        node,
        api,
        watcher,
        carol,
        blocks: Vec::new(),
        log,
    };
    net.step(
        "operator",
        format!("a debye-operator node serves the chain's JSON-RPC API at {url}"),
        None,
    );
    net.step(
        "carol watches",
        "a debye-watcher (archival) follows L1 and the operator's API, ready to challenge".into(),
        None,
    );

    // Deposits, each through its owner's wallet: the next free range of the token's coin space.
    let d_alice = alice.deposit_eth(&net.chain, U256::from(5 * ETHER)).await?;
    net.step(
        "alice deposits",
        format!("{} → range {}", describe(&d_alice.segment), d_alice.segment),
        None,
    );
    let amount = U256::from(1_000 * TOKEN_UNIT);
    token.mint(operator, bob.address(), amount).await?;
    let d_bob = bob
        .deposit_token(&net.chain, token.address(), amount)
        .await?;
    net.step(
        "bob deposits",
        format!("{} → range {}", describe(&d_bob.segment), d_bob.segment),
        None,
    );
    net.credited(alice.address(), 1).await?;
    net.credited(bob.address(), 1).await?;

    // Block 1: Alice pays Bob 2 ETH on L2.
    let p1 = alice
        .pay(
            &net.api,
            bob.address(),
            coin::ETH_TOKEN,
            U256::from(2 * ETHER),
            net.max_block(),
        )
        .await?;
    net.step(
        "alice → bob",
        format!(
            "her wallet signs an EIP-712 transfer of 2 ETH (tx {}) and hands it to the operator",
            short(p1.tx_id)
        ),
        None,
    );
    let b1 = net.commit_block(1).await?;
    for h in &p1.histories {
        bob.receive(&net.chain, &net.api, h.clone()).await?;
    }
    alice.sync(&net.chain, &net.api).await?;
    let paid = p1
        .paid
        .first()
        .copied()
        .ok_or_else(|| Error::Inconsistent("alice's payment pays nothing".into()))?;
    net.step(
        "bob verifies",
        format!(
            "his wallet checks the history of the {}: inclusion proof in block 1 against the L1 root {}",
            describe(&paid),
            short(b1.header.tx_root)
        ),
        None,
    );

    // Bob's dUSD did not move in block 1: his wallet holds an exclusion proof saying so.
    bob.sync(&net.chain, &net.api).await?;
    let usd = bob
        .state()
        .coins
        .iter()
        .find(|c| c.token() == token_id)
        .ok_or_else(|| Error::Inconsistent("bob lost his dUSD".into()))?;
    let excluded = usd
        .history
        .blocks
        .iter()
        .filter(|b| b.header.number == b1.header.number)
        .flat_map(|b| &b.items)
        .any(|e| matches!(e, Evidence::Excluded { .. }));
    if !excluded {
        return Err(Error::Inconsistent(
            "bob's wallet holds no exclusion proof for block 1".into(),
        ));
    }
    net.step(
        "bob checks",
        format!(
            "exclusion proof: his {} were untouched in block 1",
            describe(&usd.segment)
        ),
        None,
    );

    // Block 2: Bob pays Alice 250 dUSD and 0.5 ETH back, in two transactions.
    let max = net.max_block();
    let p2 = bob
        .pay(
            &net.api,
            alice.address(),
            token_id,
            U256::from(250 * TOKEN_UNIT),
            max,
        )
        .await?;
    let p3 = bob
        .pay(
            &net.api,
            alice.address(),
            coin::ETH_TOKEN,
            U256::from(ETHER / 2),
            max,
        )
        .await?;
    net.step("bob → alice", "signs 250 dUSD and 0.5 ETH".into(), None);
    let b2 = net.commit_block(2).await?;
    for h in p2.histories.iter().chain(&p3.histories) {
        alice.receive(&net.chain, &net.api, h.clone()).await?;
    }
    bob.sync(&net.chain, &net.api).await?;
    net.step(
        "alice verifies",
        format!(
            "inclusion proofs of 250 dUSD and 0.500 ETH in block 2 check against the L1 root {}",
            short(b2.header.tx_root)
        ),
        None,
    );

    // Block 3: an atomic swap, one transaction signed by both owners, each checking the other's
    // coins' history before signing.
    let bob_gives = head(
        coin_of(&bob, coin::ETH_TOKEN, U256::from(ETHER / 4))?,
        U256::from(ETHER / 4),
    )?;
    let alice_gives = head(
        coin_of(&alice, token_id, U256::from(100 * TOKEN_UNIT))?,
        U256::from(100 * TOKEN_UNIT),
    )?;
    let bob_offer = bob.swap_offer(bob_gives)?;
    alice.check_offer(&net.chain, &net.api, &bob_offer).await?;
    let proposal = alice.swap_propose(alice_gives, &bob_offer, net.max_block())?;
    bob.check_offer(&net.chain, &net.api, &proposal.offer)
        .await?;
    let swap = bob.swap_cosign(&proposal, &bob_offer)?;
    let signatures = swap.signatures.len();
    net.api.submit(swap).await?;
    net.step(
        "atomic swap",
        format!("alice's 100 dUSD for bob's 0.250 ETH in one tx with {signatures} signatures"),
        None,
    );
    net.commit_block(1).await?;
    alice.sync(&net.chain, &net.api).await?;
    bob.sync(&net.chain, &net.api).await?;

    // A fraudulent exit: bob exits the 2 ETH he received in block 1, which he spent in block 2.
    // His wallet would refuse; he calls the anchor himself with the operator's proof.
    let domain = net.node.domain().clone();
    let s1 = &p1.transaction;
    let oi = s1
        .transaction
        .outputs
        .iter()
        .position(|o| o.owner == bob.address())
        .ok_or_else(|| Error::Inconsistent("alice's payment has no output to bob".into()))?;
    let proof = b1.tree(&domain)?.prove_inclusion(&paid, p1.tx_id)?.0;
    let fraud = net
        .chain
        .start_output_exit(
            bob.address(),
            &s1.transaction,
            oi,
            &b1.header,
            &proof,
            paid.start(),
            paid.end(),
        )
        .await?;
    let bond = net.chain.exit_bond().await?;
    net.step(
        "bob cheats",
        format!(
            "starts an exit of {} from block 1, already spent in block 2; bond {} ETH",
            describe(&paid),
            ether(bond)
        ),
        None,
    );

    // Carol's watcher sees the exit on L1, finds bob's own signed spend in block 2 and cancels
    // the exit; the bond is credited to her and the watcher pulls it (docs/exit-game.md §5.3).
    let carol_before = net.l1.balance(net.carol).await?;
    let sent_before = net.l1.sent().len();
    let events = net.watcher.step().await?;
    let fraud_id = exits::exit_id(&fraud);
    let challenged = events
        .iter()
        .any(|e| matches!(e, WatchEvent::Challenged { exit_id, .. } if *exit_id == fraud_id));
    let status = net.chain.exit_status(&fraud).await?;
    let gained = net.l1.balance(net.carol).await? - carol_before;
    if !challenged || status != ExitStatus::Cancelled || gained != bond {
        return Err(Error::Inconsistent(format!(
            "fraudulent exit ended {status:?} (watcher events {events:?}), carol got {gained}"
        )));
    }
    let challenge_gas = net.l1.sent()[sent_before..]
        .iter()
        .find(|s| s.from == net.carol)
        .map(|s| s.receipt.gas_used);
    net.step(
        "carol challenges",
        format!(
            "her watcher proves bob signed a spend of those coins in block 2: exit cancelled, carol earns {} ETH",
            ether(gained)
        ),
        challenge_gas,
    );

    // An honest exit: bob takes all his L2 ETH out to L1, from the data his wallet holds.
    let bob_eth: Vec<Segment> = owned(&bob)
        .into_iter()
        .filter(|s| s.token() == coin::ETH_TOKEN)
        .collect();
    let leaving: U256 = bob_eth.iter().map(Segment::len).sum();
    let records = bob.start_exits(&net.chain, Some(&bob_eth)).await?;
    let period = net.chain.exit_period().await?;
    net.step(
        "bob exits",
        format!(
            "his wallet starts {} exit(s) of his {} ETH; the challenge period is {} days",
            records.len(),
            ether(leaving),
            period / 86_400
        ),
        None,
    );
    let events = net.watcher.step().await?;
    if let Some(e) = events.iter().find(|e| alarming(e)) {
        return Err(Error::Inconsistent(format!(
            "the watcher objects to bob's honest exit: {e:?}"
        )));
    }
    net.l1.advance_time(period + 1).await?;
    let bob_before = net.l1.balance(bob.address()).await?;
    let sent_before = net.l1.sent().len();
    let outcomes = bob.finalize_exits(&net.chain).await?;
    let withdrawn = net.l1.balance(bob.address()).await? - bob_before;
    let expected = leaving + bond * U256::from(records.len());
    if withdrawn != expected || outcomes.iter().any(|o| o.status != "withdrawn") {
        return Err(Error::Inconsistent(format!(
            "bob's exits paid {withdrawn} wei, expected {expected}: {outcomes:?}"
        )));
    }
    let finalize_gas = net.l1.sent()[sent_before..]
        .iter()
        .map(|s| s.receipt.gas_used)
        .sum();
    net.step(
        "bob withdraws",
        format!(
            "{} days later the exit finalizes: {} ETH and his bond arrive on L1",
            period / 86_400,
            ether(leaving)
        ),
        Some(finalize_gas),
    );

    // The shielded act: the same operator, wallets and watcher, on the same L1.
    let shielded = shielded::act(
        &mut net,
        shielded::Cast {
            operator,
            token: &token,
            alice: &mut alice,
            bob: &mut bob,
            passphrase: &passphrase,
            dir,
        },
    )
    .await?;

    // Final books: each wallet's view, the operator's view and L1 agree.
    alice.sync(&net.chain, &net.api).await?;
    bob.sync(&net.chain, &net.api).await?;
    let mut parties = Vec::new();
    for (name, wallet) in [
        ("alice", Some(&alice)),
        ("bob", Some(&bob)),
        ("carol", None),
    ] {
        let address = wallet.map_or(net.carol, |w| w.address());
        parties.push(Party {
            name: name.into(),
            address,
            l1_eth_wei: net.l1.balance(address).await?,
            l1_token: token.balance_of(address).await?,
            l2_eth_wei: wallet.map_or(U256::ZERO, |w| held(w, coin::ETH_TOKEN)),
            l2_token: wallet.map_or(U256::ZERO, |w| held(w, token_id)),
            l2_ranges: wallet.map(owned).unwrap_or_default(),
        });
    }
    for wallet in [&alice, &bob] {
        books_agree(&net, wallet).await?;
    }
    for p in &parties {
        let line = format!(
            "{}: L1 {} ETH, {} dUSD | L2 {} ETH, {} dUSD in {} range(s)",
            p.name,
            ether(p.l1_eth_wei),
            p.l1_token / U256::from(TOKEN_UNIT),
            ether(p.l2_eth_wei),
            p.l2_token / U256::from(TOKEN_UNIT),
            p.l2_ranges.len()
        );
        (net.log.narrate)(line);
    }
    // Value is conserved: L2 holdings equal what the anchor holds on L1.
    let l2_eth: U256 = parties.iter().map(|p| p.l2_eth_wei).sum();
    if l2_eth != net.l1.balance(anchor).await? {
        return Err(Error::Inconsistent(
            "L2 ETH differs from the anchor's L1 balance".into(),
        ));
    }
    let Net {
        node, log, blocks, ..
    } = net;
    node.shutdown(Duration::from_secs(5)).await?;
    Ok(Report {
        anchor,
        token: token.address(),
        steps: log.steps,
        blocks,
        parties,
        shielded,
    })
}

/// The operator's ledger gives `wallet` exactly the coins the wallet counts as its own. The node
/// applies L1 events (here: bob's finalized exit) from its own L1 poll, so this waits for it to
/// catch up, and fails if the books still differ after [`PATIENCE`].
async fn books_agree<F>(net: &Net<F>, wallet: &Wallet) -> Result<()> {
    let mut by_wallet = owned(wallet);
    by_wallet.sort_by_key(|s| s.start());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut by_operator: Vec<Segment> = net
            .api
            .client()
            .ranges_owned_by(wallet.address())
            .await
            .map_err(|e| Error::Api(e.to_string()))?
            .into_iter()
            .map(|r| r.segment)
            .collect();
        by_operator.sort_by_key(|s| s.start());
        if by_operator == by_wallet {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::Inconsistent(format!(
                "the operator gives {} {by_operator:?}, its wallet holds {by_wallet:?}",
                wallet.address()
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
