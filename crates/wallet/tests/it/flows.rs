//! The wallet's flows end to end on the embedded L1 with an in-process operator.

use std::path::Path;

use alloy_primitives::{Address, U256};
use debye_l1::{L1, contracts::TestTokenClient, exits::DepositRecord};
use debye_primitives::test_utils::test_address;
use debye_wallet::{Error, Wallet, keystore::Keystore, store::CoinStatus};

use crate::util::{Net, TEST_KDF, net, wallet};

/// A fresh net and the wallets of Alice (test key 1) and Bob (test key 2) in `dir`.
async fn net_alice_bob(dir: &Path) -> (Net, Wallet, Wallet) {
    let n = net().await;
    let alice = wallet(&dir.join("alice"), 1);
    let bob = wallet(&dir.join("bob"), 2);
    (n, alice, bob)
}

/// `w` deposits `wei`, the operator commits the next block and `w` syncs to it.
async fn deposit_and_commit(n: &Net, w: &mut Wallet, wei: u64) {
    w.deposit_eth(&n.client, U256::from(wei)).await.unwrap();
    n.chain.commit_pending().await.unwrap();
    w.sync(&n.client, &n.chain).await.unwrap();
}

/// Alice deposits 100 wei, committed in block 1 (a forced input must name a committed block,
/// docs/exit-game.md §12.1), and signs and submits a payment of all of it to Bob, valid up to
/// block 1000, that no block holds yet.
async fn deposit_then_pay_bob_all(
    n: &Net,
    alice: &mut Wallet,
    bob: &Wallet,
) -> debye_wallet::wallet::Payment {
    deposit_and_commit(n, alice, 100).await;
    alice
        .pay(&n.chain, bob.address(), 0, U256::from(100u64), 1_000)
        .await
        .unwrap()
}

/// Alice deposits 100 wei and pays `amount` of it to Bob in block 1 (valid up to block 10); Bob
/// syncs. Returns Alice's deposit as the anchor records it.
async fn deposit_and_pay_bob(
    n: &Net,
    alice: &mut Wallet,
    bob: &mut Wallet,
    amount: u64,
) -> DepositRecord {
    let coin = alice
        .deposit_eth(&n.client, U256::from(100u64))
        .await
        .unwrap();
    let dep = coin.history.deposits[0];
    alice
        .pay(&n.chain, bob.address(), 0, U256::from(amount), 10)
        .await
        .unwrap();
    n.chain.commit_pending().await.unwrap();
    bob.sync(&n.client, &n.chain).await.unwrap();
    DepositRecord {
        owner: dep.owner,
        start: dep.start,
        end: dep.end,
        blockNumber: dep.block_number,
    }
}

#[tokio::test]
async fn deposit_pay_sync_receive_and_pay_on() {
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    let mut carol = wallet(&dir.path().join("carol"), 3);

    // Two ETH deposits that touch: [0, 100) and [100, 150).
    let before = n.l1.balance(alice.address()).await.unwrap();
    alice
        .deposit_eth(&n.client, U256::from(100u64))
        .await
        .unwrap();
    alice
        .deposit_eth(&n.client, U256::from(50u64))
        .await
        .unwrap();
    assert_eq!(
        n.l1.balance(alice.address()).await.unwrap(),
        before - U256::from(150u64)
    );
    assert_eq!(alice.state().balance(0), U256::from(150u64));

    // 120 needs both coins: one merged output to Bob, change [120, 150) back.
    let pay = alice
        .pay(&n.chain, bob.address(), 0, U256::from(120u64), 50)
        .await
        .unwrap();
    assert_eq!(pay.transaction.transaction.inputs.len(), 2);
    assert_eq!(pay.paid.len(), 1);
    assert_eq!(pay.paid[0].len(), U256::from(120u64));
    assert_eq!(alice.state().balance(0), U256::ZERO);
    n.chain.commit_pending().await.unwrap();

    let r = alice.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(r.synced_to, 1);
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(alice.state().balance(0), U256::from(30u64));

    // Bob notices the payment in the block and verifies its whole history before counting it.
    let r = bob.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(r.received.len(), 1, "{r:?}");
    assert_eq!(bob.state().balance(0), U256::from(120u64));
    let coin = &bob.state().coins[0];
    assert_eq!(coin.status, CoinStatus::Owned);
    assert!(coin.created_by.is_some());

    // Bob pays Carol 20 and hands her the history directly.
    let pay = bob
        .pay(&n.chain, carol.address(), 0, U256::from(20u64), 50)
        .await
        .unwrap();
    n.chain.commit_pending().await.unwrap();
    n.chain.commit_pending().await.unwrap();
    let got = carol
        .receive(&n.client, &n.chain, pay.histories[0].clone())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(carol.state().balance(0), U256::from(20u64));
    bob.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(bob.state().balance(0), U256::from(100u64));
    // Carol's sync finds nothing new to verify and keeps her coin's history growing.
    let r = carol.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(carol.state().coins[0].history.last_block(), Some(3));

    // Spending more than held is a typed error.
    assert!(matches!(
        carol
            .pay(&n.chain, bob.address(), 0, U256::from(21u64), 50)
            .await,
        Err(Error::InsufficientFunds { .. })
    ));
    // The store survives a reopen.
    let reopened = Wallet::open(carol.dir(), &"correct horse".into()).unwrap();
    assert_eq!(reopened.state(), carol.state());
}

#[tokio::test]
async fn erc20_deposit_and_atomic_swap() {
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    let token = TestTokenClient::deploy(n.l1.clone(), n.operator, "Debye USD", "dUSD")
        .await
        .unwrap();
    let token_id = n
        .client
        .list_token(n.operator, token.address())
        .await
        .unwrap();
    token
        .mint(n.operator, bob.address(), U256::from(1_000u64))
        .await
        .unwrap();

    alice
        .deposit_eth(&n.client, U256::from(100u64))
        .await
        .unwrap();
    let coin = bob
        .deposit_token(&n.client, token.address(), U256::from(1_000u64))
        .await
        .unwrap();
    assert_eq!(coin.token(), token_id);
    assert_eq!(token.balance_of(bob.address()).await.unwrap(), U256::ZERO);
    assert_eq!(
        token.balance_of(n.client.address()).await.unwrap(),
        U256::from(1_000u64)
    );

    // Alice gives 40 wei for 250 dUSD: one transaction, two signatures.
    let eth = alice.state().coins[0].segment;
    let eth_part =
        debye_primitives::Segment::new(eth.start(), eth.start() + U256::from(40u64)).unwrap();
    let usd = bob.state().coins[0].segment;
    let usd_part =
        debye_primitives::Segment::new(usd.start(), usd.start() + U256::from(250u64)).unwrap();
    let bob_offer = bob.swap_offer(usd_part).unwrap();
    alice
        .check_offer(&n.client, &n.chain, &bob_offer)
        .await
        .unwrap();
    let proposal = alice.swap_propose(eth_part, &bob_offer, 10).unwrap();
    bob.check_offer(&n.client, &n.chain, &proposal.offer)
        .await
        .unwrap();
    // A proposal that shortchanges Bob is refused.
    let mut cheat = proposal.clone();
    cheat.transaction.outputs[0].owner = alice.address();
    assert!(matches!(
        bob.swap_cosign(&cheat, &bob_offer),
        Err(Error::SwapRejected(_))
    ));
    let signed = bob.swap_cosign(&proposal, &bob_offer).unwrap();
    assert_eq!(signed.signatures.len(), 2);
    debye_wallet::source::BlockSource::submit(&n.chain, signed)
        .await
        .unwrap();
    n.chain.commit_pending().await.unwrap();

    let ra = alice.sync(&n.client, &n.chain).await.unwrap();
    let rb = bob.sync(&n.client, &n.chain).await.unwrap();
    assert!(
        ra.alerts.is_empty() && rb.alerts.is_empty(),
        "{ra:?} {rb:?}"
    );
    assert_eq!(alice.state().balance(0), U256::from(60u64));
    assert_eq!(alice.state().balance(token_id), U256::from(250u64));
    assert_eq!(bob.state().balance(0), U256::from(40u64));
    assert_eq!(bob.state().balance(token_id), U256::from(750u64));
}

#[tokio::test]
async fn withheld_block_and_unsigned_spend_raise_exits() {
    let n = net().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = wallet(&dir.path().join("alice"), 1);
    deposit_and_commit(&n, &mut alice, 100).await;

    // The operator moves Alice's coins to itself without her signature.
    let domain = n.chain.chain().domain();
    let seg = alice.state().coins[0].segment;
    let theft = debye_primitives::Transaction {
        inputs: vec![alice.state().coins[0].origin.input(n.operator, seg)],
        outputs: vec![debye_primitives::Output {
            owner: n.operator,
            segment: seg,
        }],
        max_block_index: 10,
    }
    .sign(&domain, &[debye_primitives::test_utils::test_key(100)])
    .unwrap();
    n.chain.commit_raw(vec![theft]).await.unwrap();
    let r = alice.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(r.exit_needed, vec![seg]);
    assert!(r.alerts[0].starts_with("UnsignedSpend"), "{:?}", r.alerts);
    // Her coin and its last valid history are kept, ready for the exit.
    assert_eq!(alice.state().balance(0), U256::from(100u64));
    let claims = alice.exit_claims();
    assert_eq!(claims.len(), 1);
    assert!(claims[0].deposit.is_some());
    // She exits from her own data and ends with her funds on L1.
    let exits = alice
        .start_exits(&n.client, Some(&r.exit_needed))
        .await
        .unwrap();
    assert_eq!(exits.len(), 1);
    let period = n.client.exit_period().await.unwrap();
    n.l1.advance_time(period + 1).await.unwrap();
    let bond = n.client.exit_bond().await.unwrap();
    let before = n.l1.balance(alice.address()).await.unwrap();
    let out = alice.finalize_exits(&n.client).await.unwrap();
    assert_eq!(out[0].status, "withdrawn", "{out:?}");
    assert_eq!(
        n.l1.balance(alice.address()).await.unwrap(),
        before + U256::from(100u64) + bond
    );

    // A withheld block: committed on L1, never served.
    let n = net().await;
    let mut bob = wallet(&dir.path().join("bob"), 2);
    bob.deposit_eth(&n.client, U256::from(10u64)).await.unwrap();
    n.chain.commit_pending().await.unwrap();
    n.chain.withhold(1);
    let r = bob.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts[0].starts_with("MissingBlock"), "{:?}", r.alerts);
    assert_eq!(r.exit_needed.len(), 1);
    let _ = test_address(0);
}

#[tokio::test]
async fn backup_restore_keeps_keys_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    alice
        .deposit_eth(&n.client, U256::from(100u64))
        .await
        .unwrap();
    alice
        .pay(&n.chain, bob.address(), 0, U256::from(30u64), 10)
        .await
        .unwrap();
    n.chain.commit_pending().await.unwrap();
    bob.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(bob.state().balance(0), U256::from(30u64));

    let pass = "correct horse".into();
    let backup = bob.backup(&pass, &"backup pass".into(), TEST_KDF).unwrap();
    let file = dir.path().join("bob.backup.json");
    backup.save(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("created"), "backup is not encrypted");

    let loaded = Keystore::load(&file).unwrap();
    assert!(matches!(
        Wallet::restore(
            &dir.path().join("x"),
            &loaded,
            &"wrong".into(),
            &pass,
            TEST_KDF
        ),
        Err(Error::WrongPassphrase)
    ));
    let mut restored = Wallet::restore(
        &dir.path().join("bob2"),
        &loaded,
        &"backup pass".into(),
        &"new pass".into(),
        TEST_KDF,
    )
    .unwrap();
    assert_eq!(restored.address(), bob.address());
    assert_eq!(restored.state(), bob.state());
    // The restored wallet can still prove and exit its coin, and keeps syncing.
    let claims = restored.exit_claims();
    assert!(claims[0].created_by.is_some());
    n.chain.commit_pending().await.unwrap();
    let r = restored.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{r:?}");
    assert_eq!(restored.state().coins[0].history.last_block(), Some(2));
}

#[tokio::test]
async fn exits_from_held_data_answer_challenges_and_pay_out() {
    use debye_l1::exits::ExitStatus;
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    let carol = test_address(3);
    let record = deposit_and_pay_bob(&n, &mut alice, &mut bob, 30).await;
    alice.sync(&n.client, &n.chain).await.unwrap();

    // The operator commits block 2 and withholds it: both must leave.
    n.chain.commit_pending().await.unwrap();
    n.chain.withhold(2);
    let r = bob.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(r.exit_needed.len(), 1, "{r:?}");
    let bob_exits = bob
        .start_exits(&n.client, Some(&r.exit_needed))
        .await
        .unwrap();
    assert_eq!(bob_exits.len(), 1);
    assert_eq!(bob.state().coins[0].status, CoinStatus::Exiting);
    let alice_exits = alice.start_exits(&n.client, None).await.unwrap();
    assert_eq!(alice_exits.len(), 1);

    // Carol claims Bob's coins were still Alice's deposit; Bob answers from his history.
    // A challenger who never saw block 2 reads Bob's exited transaction from the anchor.
    let bob_exit = bob_exits[0].data();
    let latest = n.l1.block_number().await.unwrap();
    let (_, exit_tx) = n
        .client
        .exit_transactions(0, latest)
        .await
        .unwrap()
        .into_iter()
        .find(|(id, _)| *id == debye_l1::exits::exit_id(&bob_exit))
        .expect("the anchor published the exited transaction");
    n.client
        .request_with_deposit(
            carol,
            &bob_exit,
            &exit_tx,
            &record,
            record.start + U256::from(5u8),
        )
        .await
        .unwrap();
    assert_eq!(bob.answer_challenges(&n.client).await.unwrap(), 1);
    assert_eq!(
        bob.answer_challenges(&n.client).await.unwrap(),
        0,
        "answered once"
    );

    // Not matured yet: stays pending. Carol's request bond, which the answer credited to Bob
    // (the delayed exit's owner, docs/exit-game.md §3.4), is pulled on the way.
    let bond = n.client.exit_bond().await.unwrap();
    let bob_before = n.l1.balance(bob.address()).await.unwrap();
    let early = bob.finalize_exits(&n.client).await.unwrap();
    assert_eq!(early[0].status, "pending");
    assert_eq!(
        n.l1.balance(bob.address()).await.unwrap(),
        bob_before + bond / U256::from(4u8)
    );
    let period = n.client.exit_period().await.unwrap();
    n.l1.advance_time(period + 1).await.unwrap();
    for (w, amount) in [
        (&mut bob, U256::from(30u64)),
        (&mut alice, U256::from(70u64)),
    ] {
        let before = n.l1.balance(w.address()).await.unwrap();
        let out = w.finalize_exits(&n.client).await.unwrap();
        assert_eq!(out[0].status, "withdrawn", "{out:?}");
        assert_eq!(
            n.l1.balance(w.address()).await.unwrap(),
            before + amount + bond
        );
        assert!(w.state().coins.is_empty() && w.state().exits.is_empty());
        assert_eq!(
            n.client.exit_status(&out[0].exit.data()).await.unwrap(),
            ExitStatus::Withdrawn
        );
    }
}

#[tokio::test]
async fn owner_cancels_a_previous_owners_exit_from_its_history() {
    use debye_l1::exits::ExitStatus;
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    let record = deposit_and_pay_bob(&n, &mut alice, &mut bob, 100).await;
    assert_eq!(bob.state().balance(0), U256::from(100u64));
    // Alice exits the deposit she already paid to Bob.
    let bad = n
        .client
        .start_deposit_exit(alice.address(), &record, record.start, record.end)
        .await
        .unwrap();
    // Bob's history holds Alice's signed spend: his watch round cancels her exit (only once).
    let r = bob.guard(&n.client, &n.chain, true).await.unwrap();
    assert_eq!(r.exits_cancelled, 1, "{r:?}");
    assert!(r.exits_started.is_empty());
    assert_eq!(
        n.client.exit_status(&bad).await.unwrap(),
        ExitStatus::Cancelled
    );
    assert_eq!(bob.challenge_exits(&n.client).await.unwrap(), 0);
}

#[tokio::test]
async fn censored_payment_forced_on_l1_and_exited_by_the_recipient() {
    use debye_l1::{exits::ExitStatus, forced::ForcedStatus};
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    // Alice pays Bob; the operator censors it: it is never put in a block.
    let pay = deposit_then_pay_bob_all(&n, &mut alice, &bob).await;
    let seg = pay.paid[0];

    // Bob cannot force a transaction that spends none of his coins.
    assert!(matches!(
        bob.force(&n.client, &pay.transaction).await,
        Err(Error::NotAnOwner { .. })
    ));

    // Alice forces it, paying the bond, and signs it on L1 (docs/exit-game.md §12.1).
    let bond = n.client.force_bond().await.unwrap();
    let alice_before = n.l1.balance(alice.address()).await.unwrap();
    let rec = alice.force(&n.client, &pay.transaction).await.unwrap();
    assert_eq!(rec.tx_id, pay.tx_id);
    assert_eq!(rec.bond, bond);
    assert!(rec.other_owners.is_empty());
    assert_eq!(
        n.l1.balance(alice.address()).await.unwrap(),
        alice_before - bond
    );
    let st = n.client.forced_state(rec.index).await.unwrap();
    assert_eq!(st.status, ForcedStatus::Pending);
    assert!(st.signed, "Alice's L1 signature is missing");
    assert_eq!(st.tx_id, pay.tx_id);

    // The forced index survives a restart.
    let mut alice = Wallet::open(alice.dir(), &"correct horse".into()).unwrap();
    assert_eq!(alice.state().forced.len(), 1);
    assert_eq!(alice.state().forced[0].index, rec.index);

    // Not matured: stays pending.
    let early = alice.finalize_forced(&n.client).await.unwrap();
    assert_eq!(early[0].status, "pending", "{early:?}");
    assert_eq!(alice.state().forced.len(), 1);

    // Past the forced challenge period: included, bond back.
    let period = n.client.exit_period().await.unwrap();
    n.l1.advance_time(period + 1).await.unwrap();
    let out = alice.finalize_forced(&n.client).await.unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].status, "included", "{out:?}");
    assert_eq!(
        out[0].outputs[0].block_index,
        debye_l1::forced::forced_block_index(rec.index)
    );
    assert_eq!(out[0].outputs[0].owner, bob.address());
    assert_eq!(out[0].outputs[0].segment, seg);
    assert_eq!(
        n.client.forced_state(rec.index).await.unwrap().status,
        ForcedStatus::Included
    );
    assert_eq!(n.l1.balance(alice.address()).await.unwrap(), alice_before);
    assert!(alice.state().forced.is_empty());
    assert_eq!(alice.state().balance(0), U256::ZERO);
    assert!(alice.state().coins.is_empty());

    // Bob exits the forced output (FORCED_BLOCK | k, §12.4) and is paid exactly.
    let bob_before = n.l1.balance(bob.address()).await.unwrap();
    let exit = n
        .client
        .start_forced_exit(
            bob.address(),
            &pay.transaction.transaction,
            0,
            rec.index,
            seg.start(),
            seg.end(),
        )
        .await
        .unwrap();
    n.l1.advance_time(period + period / 2 + 1).await.unwrap();
    let key = n.client.range_key(seg.start(), 0).await.unwrap();
    n.client
        .finalize_exit(bob.address(), &exit, key)
        .await
        .unwrap();
    if n.client.exit_status(&exit).await.unwrap() == ExitStatus::Finalized {
        n.client.withdraw(bob.address(), &exit).await.unwrap();
    }
    assert_eq!(
        n.client.exit_status(&exit).await.unwrap(),
        ExitStatus::Withdrawn
    );
    assert_eq!(
        n.l1.balance(bob.address()).await.unwrap(),
        bob_before + U256::from(100u64)
    );
}

/// docs/exit-game.md §12.3 ("Late settlement"), docs/wallet.md §1 rule 7. Alice pays Bob 30 of
/// her 100 in block 1 and keeps [30, 100) as change; she then forces on L1 a transfer of the
/// change to a second address of hers (test address 4), signed by her unless `sign` is false,
/// and pays Bob the same 70 on L2 through an operator that does not look at forced transactions
/// (block 2, not committed yet).
struct Race {
    _dir: tempfile::TempDir,
    n: Net,
    alice: Wallet,
    bob: Wallet,
    /// The forced transaction.
    forced: debye_primitives::SignedTransaction,
    /// Its index in the forced-inclusion game.
    index: u64,
    /// Alice's L2 payment of the same coins.
    pay: debye_wallet::wallet::Payment,
}

impl Race {
    async fn new(sign: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
        deposit_and_pay_bob(&n, &mut alice, &mut bob, 30).await;
        alice.sync(&n.client, &n.chain).await.unwrap();
        let change = alice.state().coins[0].clone();
        assert_eq!(change.origin.block, 1, "the change is an output of block 1");
        let forced = debye_primitives::Transaction {
            inputs: vec![change.origin.input(alice.address(), change.segment)],
            outputs: vec![debye_primitives::Output {
                owner: test_address(4),
                segment: change.segment,
            }],
            max_block_index: 1_000,
        }
        .sign(
            &n.chain.chain().domain(),
            &[debye_primitives::test_utils::test_key(1)],
        )
        .unwrap();
        let index = n
            .client
            .force(alice.address(), &forced.transaction)
            .await
            .unwrap()
            .index;
        if sign {
            n.client
                .sign_forced_all(alice.address(), index, &forced)
                .await
                .unwrap();
        }
        let pay = alice
            .pay(&n.chain, bob.address(), 0, U256::from(70u64), 10)
            .await
            .unwrap();
        assert_eq!(pay.paid, vec![change.segment]);
        Self {
            _dir: dir,
            n,
            alice,
            bob,
            forced,
            index,
            pay,
        }
    }

    /// The operator commits block 2, with Alice's L2 payment.
    async fn commit_payment(&self) {
        self.n.chain.commit_pending().await.unwrap();
    }

    /// Lets the forced transaction mature, has `by` settle it, and checks it ended `expect`.
    async fn settle(&self, by: Address, expect: debye_l1::forced::ForcedStatus) {
        let n = &self.n;
        let period = n.client.exit_period().await.unwrap();
        n.l1.advance_time(period + 1).await.unwrap();
        n.client.finalize_forced(by, self.index).await.unwrap();
        assert_eq!(
            n.client.forced_state(self.index).await.unwrap().status,
            expect
        );
    }

    /// Bob takes Alice's payment of her change: he then holds his 30 and her 70.
    async fn assert_taken(&mut self) {
        self.bob
            .receive(&self.n.client, &self.n.chain, self.pay.histories[0].clone())
            .await
            .unwrap();
        assert_eq!(self.bob.state().balance(0), U256::from(100u64));
    }

    /// With the payment committed, Bob is refused it while the forced transaction is pending,
    /// and takes it once `by` has settled it and it ended `expect`.
    async fn refused_until_settled(&mut self, by: Address, expect: debye_l1::forced::ForcedStatus) {
        self.commit_payment().await;
        self.assert_refused(false).await;
        self.settle(by, expect).await;
        self.assert_taken().await;
    }

    /// `receive` of the handed-over history refuses the payment with a typed `ForcedOnL1` naming
    /// the forced transaction. Bob keeps only the 30 of block 1, which the forced transaction
    /// does not touch.
    async fn assert_refused(&mut self, included: bool) {
        let (pay, index) = (&self.pay, self.index);
        let err = self
            .bob
            .receive(&self.n.client, &self.n.chain, pay.histories[0].clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::ForcedOnL1 { segment, index: k, included: i, .. }
                if segment == pay.paid[0] && k == index && i == included),
            "{err:?}"
        );
        assert!(err.is_history_fault());
        assert!(err.hint().is_some());
        assert_eq!(self.bob.state().balance(0), U256::from(30u64));
    }
}

#[tokio::test]
async fn coins_under_a_pending_forced_transfer_are_refused_until_it_is_challenged() {
    use debye_l1::{exits::spend_proof, forced::ForcedStatus};
    use debye_wallet::source::BlockSource;
    let mut r = Race::new(true).await;
    r.commit_payment().await;

    // Bob's sync finds the payment in block 2 and refuses it.
    let s = r.bob.sync(&r.n.client, &r.n.chain).await.unwrap();
    assert!(s.received.is_empty(), "{s:?}");
    assert!(
        s.alerts.len() == 1 && s.alerts[0].starts_with("ForcedOnL1"),
        "{:?}",
        s.alerts
    );
    r.assert_refused(false).await;

    // Bob (anyone holding the L2 spend) cancels the forced transaction with Alice's spend of
    // the change in block 2 (docs/exit-game.md §12.2 (a)); the same coins are then taken.
    let (n, pay) = (&r.n, &r.pay);
    let block = n.chain.block(2).await.unwrap().unwrap();
    let proof = n
        .chain
        .tree(2)
        .unwrap()
        .prove_inclusion(&pay.paid[0], pay.tx_id)
        .unwrap();
    let spend = spend_proof(&pay.transaction, 0, &block.header, &proof.0).unwrap();
    n.client
        .challenge_forced_spent(r.bob.address(), r.index, &r.forced.transaction, 0, &spend)
        .await
        .unwrap();
    assert_eq!(
        n.client.forced_state(r.index).await.unwrap().status,
        ForcedStatus::Cancelled
    );
    let got = r
        .bob
        .receive(&n.client, &n.chain, pay.histories[0].clone())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(r.bob.state().balance(0), U256::from(100u64));
}

#[tokio::test]
async fn coins_under_an_unsigned_forced_transfer_are_refused_until_it_lapses() {
    // Unsigned: Alice could still sign at the last moment (§12.3), so it is refused too.
    let mut r = Race::new(false).await;
    // Matured without Alice's signature: anyone settles it, it lapses, and the coins are taken.
    let anyone = r.bob.address();
    r.refused_until_settled(anyone, debye_l1::forced::ForcedStatus::Lapsed)
        .await;
}

#[tokio::test]
async fn a_forced_transfer_settled_before_the_payment_block_is_refused_for_good() {
    let mut r = Race::new(true).await;
    // The late-settlement race: the forced transfer is settled before the operator commits the
    // block holding Alice's L2 payment, so it counts after block 1 only: before the payment.
    r.settle(r.alice.address(), debye_l1::forced::ForcedStatus::Included)
        .await;
    r.commit_payment().await;
    r.assert_refused(true).await;
}

#[tokio::test]
async fn a_forced_transfer_settled_after_the_payment_block_lets_the_coins_through() {
    let mut r = Race::new(true).await;
    // Nobody challenged it; settled after the payment block, it counts after block 2
    // (docs/exit-game.md §12.3), so Alice's L2 payment is the earlier spend and wins any exit
    // dispute (§12.4).
    let alice = r.alice.address();
    r.refused_until_settled(alice, debye_l1::forced::ForcedStatus::Included)
        .await;
}

#[tokio::test]
async fn a_forced_payment_the_operator_then_includes_on_l2_is_accepted_while_pending() {
    use debye_l1::forced::ForcedStatus;
    let dir = tempfile::tempdir().unwrap();
    let (n, mut alice, mut bob) = net_alice_bob(dir.path()).await;
    // Alice's wallet forces its own payment to Bob, which the operator has not included yet...
    let pay = deposit_then_pay_bob_all(&n, &mut alice, &bob).await;
    let rec = alice.force(&n.client, &pay.transaction).await.unwrap();
    assert_eq!(
        n.client.forced_state(rec.index).await.unwrap().status,
        ForcedStatus::Pending
    );
    // ... and then includes it in block 2. The forced copy spends what the L2 copy spends, with
    // the same transaction: Bob's sync takes the coins.
    n.chain.commit_pending().await.unwrap();
    let r = bob.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(r.received, pay.paid);
    assert_eq!(bob.state().balance(0), U256::from(100u64));
    // Alice's own sync sees her coin spent and raises nothing.
    let r = alice.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(alice.state().balance(0), U256::ZERO);
}
