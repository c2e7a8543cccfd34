//! The whole Debye story on the embedded EVM, narrated: `debye demo`.
//!
//! Deploys the anchor contract and a test ERC-20 on [`EmbeddedL1`], makes ETH and ERC-20
//! deposits, moves coins on L2 with EIP-712 signed Plasma Prime transactions (including an atomic
//! swap signed by both owners), commits each block's header to L1 and checks, as a recipient
//! would, that the committed block proves what it received. Then a party tries to exit coins it
//! already spent and a watcher cancels the exit with the spender's own signature, taking the bond;
//! finally an honest exit is paid on L1 after the challenge period. It returns a [`Report`] of every
//! step and the final balances, and fails if any check does.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, B256, U256, keccak256};
use debye_l1::{
    EmbeddedL1, L1,
    contracts::{self, DebyeChainClient, Deposit, TestTokenClient},
    exits::{self, ExitStatus},
};
use debye_primitives::{
    BlockBuilder, BlockHeader, Eip712Domain, Input, Output, Segment, SignedTransaction,
    SumMerkleTree, Transaction, coin, tx,
};
use k256::ecdsa::SigningKey;
use serde::Serialize;

/// Errors that stop the devnet run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An L1 call failed.
    #[error(transparent)]
    L1(#[from] debye_l1::Error),
    /// A Plasma Prime rule rejected something the devnet built.
    #[error(transparent)]
    Prime(#[from] debye_primitives::Error),
    /// L1 and L2 disagree: a committed block or proof does not match.
    #[error("consistency check failed: {0}")]
    Inconsistent(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What one step did.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Short name of the step.
    pub name: String,
    /// What happened, in words.
    pub outcome: String,
    /// L1 gas used by the step's transaction, if it sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l1_gas: Option<u64>,
}

/// One party's balances at the end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Party {
    /// Party name.
    pub name: String,
    /// L1 address (also its L2 identity).
    pub address: Address,
    /// ETH on L1, in wei.
    pub l1_eth_wei: U256,
    /// Test ERC-20 on L1, in base units.
    pub l1_token: U256,
    /// ETH held on L2 (sum of owned ranges), in wei.
    pub l2_eth_wei: U256,
    /// Test ERC-20 held on L2, in base units.
    pub l2_token: U256,
    /// Ranges owned on L2, as `[start, end)` hex coin ids.
    pub l2_ranges: Vec<Segment>,
}

/// Everything the run did and where it ended.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Address of the anchor contract.
    pub anchor: Address,
    /// Address of the test ERC-20.
    pub token: Address,
    /// Steps in order.
    pub steps: Vec<Step>,
    /// Committed block headers with their L1 commitments.
    pub blocks: Vec<CommittedBlock>,
    /// Final balances of each party.
    pub parties: Vec<Party>,
}

/// A block committed to L1.
#[derive(Clone, Debug, Serialize)]
pub struct CommittedBlock {
    /// The header.
    pub header: BlockHeader,
    /// Its hash, as stored on L1.
    pub hash: B256,
    /// Number of transactions in it.
    pub transactions: usize,
    /// L1 gas of its `submitBlock` transaction (including the 21,000 base).
    pub l1_gas: u64,
}

const ETHER: u128 = 1_000_000_000_000_000_000;
const TOKEN_UNIT: u128 = 1_000_000;

/// A deterministic devnet key (never use these outside a devnet).
fn devnet_key(name: &str) -> SigningKey {
    let seed = keccak256(format!("debye devnet key: {name}"));
    SigningKey::from_slice(seed.as_slice()).expect("a keccak output is a valid secp256k1 scalar")
}

struct Actor {
    name: &'static str,
    key: SigningKey,
    address: Address,
}

impl Actor {
    fn new(name: &'static str) -> Self {
        let key = devnet_key(name);
        Self {
            name,
            address: tx::address_of(&key),
            key,
        }
    }
}

/// The operator's view of who owns which coins, updated as blocks are built.
#[derive(Default)]
struct Ledger {
    /// segment start -> (segment, owner, input that would spend it)
    owned: BTreeMap<U256, (Segment, Address, Input)>,
}

impl Ledger {
    fn credit_deposit(&mut self, d: &Deposit) -> Result<()> {
        let segment = Segment::new(d.start, d.end)?;
        self.owned.insert(
            d.start,
            (
                segment,
                d.owner,
                Input::deposit(d.owner, d.blockNumber, segment),
            ),
        );
        Ok(())
    }

    fn apply(&mut self, block: u64, tx_index: u32, t: &Transaction) -> Result<()> {
        for input in &t.inputs {
            self.owned
                .remove(&input.segment.start())
                .ok_or_else(|| Error::Inconsistent(format!("{:?} is not owned", input.segment)))?;
        }
        for (i, out) in t.outputs.iter().enumerate() {
            let spend = Input {
                owner: out.owner,
                block_index: block,
                tx_index,
                output_index: u8::try_from(i).expect("at most 16 outputs"),
                segment: out.segment,
            };
            self.owned
                .insert(out.segment.start(), (out.segment, out.owner, spend));
        }
        Ok(())
    }

    /// Removes a range that left the chain through an L1 exit.
    fn exited(&mut self, segment: &Segment) -> Result<()> {
        self.owned
            .remove(&segment.start())
            .filter(|(s, _, _)| s == segment)
            .map(|_| ())
            .ok_or_else(|| Error::Inconsistent(format!("exited range {segment} was not held")))
    }

    /// The whole ranges `owner` holds in `token`, oldest first.
    fn holdings(&self, owner: Address, token: u32) -> Vec<(Segment, Input)> {
        self.owned
            .values()
            .filter(|(s, o, _)| *o == owner && s.token() == token)
            .map(|(s, _, i)| (*s, *i))
            .collect()
    }

    fn total(&self, owner: Address, token: u32) -> U256 {
        self.holdings(owner, token)
            .iter()
            .map(|(s, _)| s.len())
            .sum()
    }
}

/// Builds a transfer of `amount` of `token` from `from` to `to`, splitting the first range that
/// covers it and returning the change to the sender.
fn transfer(
    ledger: &Ledger,
    from: &Actor,
    to: Address,
    token: u32,
    amount: U256,
    max_block: u64,
) -> Result<Transaction> {
    let (segment, input) = ledger
        .holdings(from.address, token)
        .into_iter()
        .find(|(s, _)| s.len() >= amount)
        .ok_or_else(|| Error::Inconsistent(format!("{} has no range of {amount}", from.name)))?;
    let split = segment.start() + amount;
    let mut outputs = vec![Output {
        owner: to,
        segment: Segment::new(segment.start(), split)?,
    }];
    if split < segment.end() {
        outputs.push(Output {
            owner: from.address,
            segment: Segment::new(split, segment.end())?,
        });
    }
    Ok(Transaction {
        inputs: vec![input],
        outputs,
        max_block_index: max_block,
    })
}

/// Builds an atomic swap: `a` gives `amount_a` of `token_a` to `b`, `b` gives `amount_b` of
/// `token_b` to `a`, in one transaction both must sign. Change goes back to each side.
fn swap(
    ledger: &Ledger,
    (a, token_a, amount_a): (&Actor, u32, U256),
    (b, token_b, amount_b): (&Actor, u32, U256),
    max_block: u64,
) -> Result<Transaction> {
    let leg_a = transfer(ledger, a, b.address, token_a, amount_a, max_block)?;
    let leg_b = transfer(ledger, b, a.address, token_b, amount_b, max_block)?;
    Ok(Transaction {
        inputs: [leg_a.inputs, leg_b.inputs].concat(),
        outputs: [leg_a.outputs, leg_b.outputs].concat(),
        max_block_index: max_block,
    })
}

struct Devnet<F> {
    l1: Arc<EmbeddedL1>,
    chain: DebyeChainClient<Arc<EmbeddedL1>>,
    domain: Eip712Domain,
    operator: Actor,
    ledger: Ledger,
    last_header: Option<BlockHeader>,
    steps: Vec<Step>,
    blocks: Vec<CommittedBlock>,
    narrate: F,
}

impl<F: FnMut(String)> Devnet<F> {
    fn step(&mut self, name: &str, outcome: String, l1_gas: Option<u64>) {
        let gas = l1_gas
            .map(|g| format!("  [L1 gas {g}]"))
            .unwrap_or_default();
        (self.narrate)(format!("• {name}: {outcome}{gas}"));
        self.steps.push(Step {
            name: name.into(),
            outcome,
            l1_gas,
        });
    }

    /// Builds the next block from `txs`, commits its header on L1 and checks the commitment.
    async fn commit_block(
        &mut self,
        txs: Vec<SignedTransaction>,
    ) -> Result<(BlockHeader, SumMerkleTree)> {
        let mut builder = BlockBuilder::after(self.domain.clone(), self.last_header.as_ref());
        for stx in &txs {
            builder.push(stx.clone())?;
        }
        let (block, tree) = builder.build()?;
        let header = block.header;
        for (i, stx) in block.transactions.iter().enumerate() {
            self.ledger.apply(
                header.number,
                u32::try_from(i).expect("small block"),
                &stx.transaction,
            )?;
        }
        let receipt = self
            .chain
            .submit_block(self.operator.address, contracts::BlockHeader::from(&header))
            .await?;
        let stored = self.chain.block_hash(header.number).await?;
        if stored != header.hash() {
            return Err(Error::Inconsistent(format!(
                "L1 stores {stored} for block {}",
                header.number
            )));
        }
        self.step(
            &format!("commit block {}", header.number),
            format!(
                "{} tx, {} tree leaves, header {} committed on L1",
                txs.len(),
                tree.leaves().len(),
                short(header.hash())
            ),
            Some(receipt.gas_used),
        );
        self.blocks.push(CommittedBlock {
            header,
            hash: header.hash(),
            transactions: txs.len(),
            l1_gas: receipt.gas_used,
        });
        self.last_header = Some(header);
        Ok((header, tree))
    }

    /// What a recipient does before counting a received range: check that the block committed
    /// on L1 proves the range went to it in this transaction.
    async fn verify_receipt(
        &mut self,
        who: &str,
        header: &BlockHeader,
        tree: &SumMerkleTree,
        segment: &Segment,
        stx: &SignedTransaction,
    ) -> Result<()> {
        let committed = self
            .chain
            .submitted_blocks(0)
            .await?
            .into_iter()
            .find(|b| b.number == header.number)
            .ok_or_else(|| Error::Inconsistent(format!("block {} not on L1", header.number)))?;
        let tx_id = stx.verify(&self.domain)?;
        let proof = tree.prove_inclusion(segment, tx_id)?;
        proof.verify(committed.txRoot, segment, tx_id)?;
        self.step(
            &format!("{who} verifies"),
            format!(
                "inclusion proof of {} in block {} checks against the L1 root {}",
                describe(segment),
                header.number,
                short(committed.txRoot)
            ),
            None,
        );
        Ok(())
    }
}

fn short(h: B256) -> String {
    let s = h.to_string();
    format!("{}…{}", &s[..8], &s[s.len() - 4..])
}

fn describe(segment: &Segment) -> String {
    let (token, len) = (segment.token(), segment.len());
    if token == coin::ETH_TOKEN {
        format!("{} ETH", ether(len))
    } else {
        format!("{} dUSD", len / U256::from(TOKEN_UNIT))
    }
}

fn ether(wei: U256) -> String {
    let whole = wei / U256::from(ETHER);
    let frac = (wei % U256::from(ETHER)) / U256::from(ETHER / 1000);
    format!("{whole}.{frac:0>3}")
}

/// Runs the devnet story, calling `narrate` with one line per event, and returns the report.
pub async fn run(narrate: impl FnMut(String)) -> Result<Report> {
    let l1 = Arc::new(EmbeddedL1::new());
    let (operator, alice, bob) = (
        Actor::new("operator"),
        Actor::new("alice"),
        Actor::new("bob"),
    );
    for a in [&operator, &alice, &bob] {
        l1.fund(a.address, U256::from(100 * ETHER));
    }
    let chain = DebyeChainClient::deploy(l1.clone(), operator.address, operator.address).await?;
    let domain = tx::domain(l1.chain_id().await?, chain.address());
    let mut net = Devnet {
        l1: l1.clone(),
        chain,
        domain,
        operator,
        ledger: Ledger::default(),
        last_header: None,
        steps: Vec::new(),
        blocks: Vec::new(),
        narrate,
    };
    let anchor = net.chain.address();
    net.step(
        "deploy",
        format!("anchor contract at {anchor} on the embedded EVM (chain id 31337)"),
        None,
    );

    let token =
        TestTokenClient::deploy(l1.clone(), net.operator.address, "Debye USD", "dUSD").await?;
    let token_id = net
        .chain
        .list_token(net.operator.address, token.address())
        .await?;
    net.step(
        "list token",
        format!("dUSD at {} listed as token {token_id}", token.address()),
        None,
    );

    // Deposits: each allocates the next free range of its token's coin space.
    let d_alice = net
        .chain
        .deposit_eth(alice.address, U256::from(5 * ETHER))
        .await?;
    net.ledger.credit_deposit(&d_alice)?;
    let seg = Segment::new(d_alice.start, d_alice.end)?;
    net.step(
        "alice deposits",
        format!("{} → range {seg}", describe(&seg)),
        None,
    );

    let amount = U256::from(1_000 * TOKEN_UNIT);
    token
        .mint(net.operator.address, bob.address, amount)
        .await?;
    token.approve(bob.address, anchor, amount).await?;
    let d_bob = net
        .chain
        .deposit_token(bob.address, token.address(), amount)
        .await?;
    net.ledger.credit_deposit(&d_bob)?;
    let seg = Segment::new(d_bob.start, d_bob.end)?;
    net.step(
        "bob deposits",
        format!("{} → range {seg}", describe(&seg)),
        None,
    );

    // Block 1: Alice pays Bob 2 ETH on L2.
    let t1 = transfer(
        &net.ledger,
        &alice,
        bob.address,
        coin::ETH_TOKEN,
        U256::from(2 * ETHER),
        10,
    )?;
    let s1 = t1.sign(&net.domain, std::slice::from_ref(&alice.key))?;
    net.step(
        "alice → bob",
        format!(
            "signs an EIP-712 transfer of 2 ETH (tx {})",
            short(s1.tx_id(&net.domain))
        ),
        None,
    );
    let (h1, tree1) = net.commit_block(vec![s1.clone()]).await?;
    let bob_seg = s1.transaction.outputs[0].segment;
    net.verify_receipt("bob", &h1, &tree1, &bob_seg, &s1)
        .await?;

    // Bob's dUSD range was untouched in block 1: an exclusion proof shows it.
    let untouched = Segment::new(d_bob.start, d_bob.end)?;
    tree1
        .prove_exclusion(&untouched)?
        .verify(h1.tx_root, &untouched)?;
    net.step(
        "bob checks",
        format!(
            "exclusion proof: his {} were untouched in block 1",
            describe(&untouched)
        ),
        None,
    );

    // Block 2: Bob pays Alice 250 dUSD and 0.5 ETH back, in two transactions.
    let t2 = transfer(
        &net.ledger,
        &bob,
        alice.address,
        token_id,
        U256::from(250 * TOKEN_UNIT),
        10,
    )?;
    let t3 = transfer(
        &net.ledger,
        &bob,
        alice.address,
        coin::ETH_TOKEN,
        U256::from(ETHER / 2),
        10,
    )?;
    let s2 = t2.sign(&net.domain, std::slice::from_ref(&bob.key))?;
    let s3 = t3.sign(&net.domain, std::slice::from_ref(&bob.key))?;
    net.step("bob → alice", "signs 250 dUSD and 0.5 ETH".into(), None);
    let (h2, tree2) = net.commit_block(vec![s2.clone(), s3.clone()]).await?;
    let alice_seg = s2.transaction.outputs[0].segment;
    net.verify_receipt("alice", &h2, &tree2, &alice_seg, &s2)
        .await?;

    // Block 3: an atomic swap, one transaction signed by both owners.
    let t4 = swap(
        &net.ledger,
        (&alice, token_id, U256::from(100 * TOKEN_UNIT)),
        (&bob, coin::ETH_TOKEN, U256::from(ETHER / 4)),
        10,
    )?;
    let s4 = t4.sign(&net.domain, &[alice.key.clone(), bob.key.clone()])?;
    net.step(
        "atomic swap",
        format!(
            "alice's 100 dUSD for bob's 0.250 ETH in one tx with {} signatures",
            s4.signatures.len()
        ),
        None,
    );
    let (h3, tree3) = net.commit_block(vec![s4.clone()]).await?;

    // A fraudulent exit: bob exits the 2 ETH he received in block 1, which he spent in block 2.
    let carol = Actor::new("carol");
    l1.fund(carol.address, U256::from(ETHER));
    let s1_proof = tree1.prove_inclusion(&bob_seg, s1.tx_id(&net.domain))?.0;
    let fraud = net
        .chain
        .start_output_exit(
            bob.address,
            &s1.transaction,
            0,
            &h1,
            &s1_proof,
            bob_seg.start(),
            bob_seg.end(),
        )
        .await?;
    let bond = net.chain.exit_bond().await?;
    net.step(
        "bob cheats",
        format!(
            "starts an exit of {} from block 1, already spent in block 2; bond {} ETH",
            describe(&bob_seg),
            ether(bond)
        ),
        None,
    );
    // Carol, a watcher, cancels it with bob's own signed spend and takes the bond.
    let spent_in = s3.transaction.inputs[0].segment;
    let s3_proof = tree2.prove_inclusion(&spent_in, s3.tx_id(&net.domain))?.0;
    let evidence = exits::spend_proof(&s3, 0, &h2, &s3_proof)?;
    let carol_before = net.l1.balance(carol.address).await?;
    let receipt = net
        .chain
        .challenge_spent(carol.address, &fraud, &evidence)
        .await?;
    // The bond is credited to the challenger and pulled (docs/exit-game.md §5.3).
    net.chain.claim(carol.address).await?;
    let status = net.chain.exit_status(&fraud).await?;
    let gained = net.l1.balance(carol.address).await? - carol_before;
    if status != ExitStatus::Cancelled || gained != bond {
        return Err(Error::Inconsistent(format!(
            "fraudulent exit ended {status:?}, challenger got {gained}"
        )));
    }
    net.step(
        "carol challenges",
        format!("proves bob signed a spend of those coins in block 2: exit cancelled, carol earns {} ETH", ether(gained)),
        Some(receipt.gas_used),
    );

    // An honest exit: bob takes his ETH change from the swap out to L1.
    let (index, change) = s4
        .transaction
        .outputs
        .iter()
        .enumerate()
        .find(|(_, o)| o.owner == bob.address && o.segment.token() == coin::ETH_TOKEN)
        .map(|(i, o)| (i, o.segment))
        .ok_or_else(|| Error::Inconsistent("the swap gave bob no ETH change".into()))?;
    let proof = tree3.prove_inclusion(&change, s4.tx_id(&net.domain))?.0;
    let exit = net
        .chain
        .start_output_exit(
            bob.address,
            &s4.transaction,
            index,
            &h3,
            &proof,
            change.start(),
            change.end(),
        )
        .await?;
    let period = net.chain.exit_period().await?;
    net.step(
        "bob exits",
        format!(
            "starts an exit of his {} from block 3; the challenge period is {} days",
            describe(&change),
            period / 86_400
        ),
        None,
    );
    net.l1.advance_time(period + 1).await?;
    let bob_before = net.l1.balance(bob.address).await?;
    let key = net.chain.range_key(change.start(), 0).await?;
    let receipt = net.chain.finalize_exit(bob.address, &exit, key).await?;
    let paid = net.l1.balance(bob.address).await? - bob_before;
    if paid != change.len() + bond {
        return Err(Error::Inconsistent(format!("bob's exit paid {paid}")));
    }
    net.ledger.exited(&change)?;
    net.step(
        "bob withdraws",
        format!(
            "{} days later the exit finalizes: {} ETH and his bond arrive on L1",
            period / 86_400,
            ether(change.len())
        ),
        Some(receipt.gas_used),
    );

    let mut parties = Vec::new();
    for a in [&alice, &bob, &carol] {
        let mut ranges: Vec<Segment> = net
            .ledger
            .holdings(a.address, coin::ETH_TOKEN)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        ranges.extend(
            net.ledger
                .holdings(a.address, token_id)
                .into_iter()
                .map(|(s, _)| s),
        );
        parties.push(Party {
            name: a.name.into(),
            address: a.address,
            l1_eth_wei: net.l1.balance(a.address).await?,
            l1_token: token.balance_of(a.address).await?,
            l2_eth_wei: net.ledger.total(a.address, coin::ETH_TOKEN),
            l2_token: net.ledger.total(a.address, token_id),
            l2_ranges: ranges,
        });
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
        (net.narrate)(line);
    }
    // Value is conserved: L2 holdings equal what the anchor holds on L1.
    let l2_eth: U256 = parties.iter().map(|p| p.l2_eth_wei).sum();
    if l2_eth != net.l1.balance(anchor).await? {
        return Err(Error::Inconsistent(
            "L2 ETH differs from the anchor's L1 balance".into(),
        ));
    }
    Ok(Report {
        anchor,
        token: token.address(),
        steps: net.steps,
        blocks: net.blocks,
        parties,
    })
}
