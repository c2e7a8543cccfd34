//! The shielded ledger end to end on one node (docs/shielded.md §3, §4.3): notes deposited into
//! the anchor's real `ShieldedPool` on L1 and imported by the node, a real JoinSplit proved here
//! and admitted over JSON-RPC, the block that includes it checked against an independent
//! recomputation and accepted by the anchor, every kind of bad entry refused with its code while
//! the store and the pool stay as they were, and an L1 exit start imported: the pooled spend of
//! its notes dropped, new spends refused, `exitCursor` counting it.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use ark_ff::{BigInteger, PrimeField};
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_l1::{
    L1, L1Tx,
    pool::{IShieldedPool, ShieldedPool, ShieldedPoolClient, pool_header},
};
use debye_operator::Operator;
use debye_primitives::shielded::{self, ExtData, TransferBody};
use debye_rpc_api::{
    DebyeApiClient, ErrorCode, HttpClient,
    types::{ShieldedStatusView, ShieldedTransfer},
};
use debye_zk::{
    Fr,
    circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment},
    ext_data,
    groth16::{self, JoinSplitProvingKey},
    keys::Keys,
    merkle::MerkleTree,
    note::{Note, encrypt_note},
};

use crate::helpers::{Harness, api_error, client_of, config, eventually, wait_committed};

/// The anchor's shielded pool (every entry's `ext.anchor`).
async fn pool_of(h: &Harness) -> ShieldedPoolClient<std::sync::Arc<debye_l1::EmbeddedL1>> {
    ShieldedPoolClient::of_chain(&h.chain).await.unwrap()
}

pub fn word(x: &impl PrimeField) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

/// Alice's two notes (70 and 30 units of ETH), their commitments as L1 deposits would carry them.
fn alice_notes(alice: &Keys) -> [Note; 2] {
    let secret = alice.output_secret(0);
    [70, 30].map(|amount| Note {
        owner: alice.address().owner,
        token: Fr::from(0u64),
        amount,
        randomness: secret.randomness(Fr::from(amount)),
    })
}

/// Alice pays Bob 60 and keeps 40, proving against `tree` (her notes at leaves 0 and 2).
fn pay_bob(
    pk: &JoinSplitProvingKey,
    alice: &Keys,
    tree_leaves: &[Fr],
    root_block: u64,
    chain: (u64, Address),
    expiry: u64,
) -> ShieldedTransfer {
    let inputs = alice_inputs(alice, tree_leaves);
    pay_bob_with(pk, alice, inputs, root_block, chain, expiry)
}

/// Alice's two notes as inputs, with their paths in the tree of `tree_leaves` (leaves 0 and 2),
/// and that tree's root.
fn alice_inputs(alice: &Keys, tree_leaves: &[Fr]) -> ([InputAssignment; 2], Fr) {
    let notes = alice_notes(alice);
    let mut tree = MerkleTree::new();
    let mut witnesses = Vec::new();
    for (i, leaf) in tree_leaves.iter().enumerate() {
        for w in &mut witnesses {
            debye_zk::merkle::Witness::append(w, *leaf).unwrap();
        }
        if i == 0 || i == 2 {
            witnesses.push(tree.append_tracked(*leaf).unwrap());
        } else {
            tree.append(*leaf).unwrap();
        }
    }
    let nk = alice.nullifier_key().to_field();
    let a = alice.auth().public();
    (
        [
            InputAssignment::new(&notes[0], a, nk, &witnesses[0].path()),
            InputAssignment::new(&notes[1], a, nk, &witnesses[1].path()),
        ],
        tree.root(),
    )
}

/// The eight proof words in the verifier's order.
pub fn proof_words(proof: &ark_groth16::Proof<ark_bn254::Bn254>) -> [U256; 8] {
    [
        word(&proof.a.x),
        word(&proof.a.y),
        word(&proof.b.x.c1),
        word(&proof.b.x.c0),
        word(&proof.b.y.c1),
        word(&proof.b.y.c0),
        word(&proof.c.x),
        word(&proof.c.y),
    ]
}

/// Alice's whole-note ZK exit of both her notes (100 units of ETH) to `recipient` (S-5.5),
/// proven against the tree of `tree_leaves`.
fn exit_alice(
    pk: &JoinSplitProvingKey,
    alice: &Keys,
    tree_leaves: &[Fr],
    (chain_id, pool): (u64, Address),
    expiry: u64,
    recipient: Address,
) -> IShieldedPool::ExitRequest {
    let (inputs, root) = alice_inputs(alice, tree_leaves);
    let zext = ext_data::ExtData::exit(
        recipient.0.0,
        [0; 20],
        0,
        expiry,
        chain_id,
        pool.0.0,
        [0x55; 32],
    );
    let c = JoinSplitCircuit::new(
        inputs,
        [OutputAssignment::zero(), OutputAssignment::zero()],
        root,
        -100,
        Fr::from(0u64),
        zext.hash(),
    )
    .unwrap()
    .sign(alice.auth())
    .unwrap();
    let public = c.public;
    let proof = groth16::prove(pk, c, &mut StdRng::seed_from_u64(6)).unwrap();
    IShieldedPool::ExitRequest {
        nullifier0: word(&public.nullifiers[0]),
        nullifier1: word(&public.nullifiers[1]),
        token: Address::ZERO,
        amount: 100,
        proof: proof_words(&proof),
        ext: IShieldedPool::ExtData {
            kind: zext.kind,
            recipient: Address::from(zext.recipient),
            feeRecipient: Address::from(zext.fee_recipient),
            fee: zext.fee,
            expiry: zext.expiry,
            chainId: zext.chain_id,
            anchor: Address::from(zext.anchor),
            policy: zext.policy,
            nonce: B256::from(zext.nonce),
            ctHash0: B256::from(zext.ct_hash[0]),
            ctHash1: B256::from(zext.ct_hash[1]),
        },
    }
}

/// Alice pays Bob 60 and keeps 40 (see [`pay_bob`]), once her inputs are built.
fn pay_bob_with(
    pk: &JoinSplitProvingKey,
    alice: &Keys,
    (inputs, root): ([InputAssignment; 2], Fr),
    root_block: u64,
    (chain_id, pool): (u64, Address),
    expiry: u64,
) -> ShieldedTransfer {
    let bob = Keys::from_seed([0xb0; 32]).unwrap();
    let secret = alice.output_secret(0);
    let out = |owner: &Keys, amount: u64, i: u64| Note {
        owner: owner.address().owner,
        token: Fr::from(0u64),
        amount,
        randomness: secret.randomness(Fr::from(1000 + i)),
    };
    let (o0, o1) = (out(&bob, 60, 0), out(alice, 40, 1));
    let ct0 = encrypt_note(&o0, &bob.address(), [1; 32]).unwrap();
    let ct1 = encrypt_note(&o1, &alice.address(), [2; 32]).unwrap();
    let zext = ext_data::ExtData::transfer(chain_id, pool.0.0, expiry, [0x33; 32], [&ct0, &ct1]);
    let c = JoinSplitCircuit::new(
        inputs,
        [OutputAssignment::new(&o0), OutputAssignment::new(&o1)],
        root,
        0,
        Fr::from(0u64),
        zext.hash(),
    )
    .unwrap()
    .sign(alice.auth())
    .unwrap();
    let public = c.public;
    let proof = groth16::prove(pk, c, &mut StdRng::seed_from_u64(5)).unwrap();
    let ext = ExtData {
        kind: zext.kind,
        recipient: Address::from(zext.recipient),
        fee_recipient: Address::from(zext.fee_recipient),
        fee: zext.fee,
        expiry: zext.expiry,
        chain_id: zext.chain_id,
        anchor: Address::from(zext.anchor),
        policy: zext.policy,
        nonce: B256::from(zext.nonce),
        ct_hash0: B256::from(zext.ct_hash[0]),
        ct_hash1: B256::from(zext.ct_hash[1]),
    };
    assert_eq!(
        word(&public.ext_data_hash),
        ext.hash(),
        "zk and primitives agree"
    );
    ShieldedTransfer {
        body: TransferBody {
            root_block,
            root: word(&public.root),
            public_amount: U256::ZERO,
            token: U256::ZERO,
            ext_data_hash: word(&public.ext_data_hash),
            proof: proof_words(&proof),
            ext,
        },
        nullifiers: public.nullifiers.map(|x| word(&x)),
        commitments: public.commitments.map(|x| word(&x)),
        ciphertexts: [Bytes::from(ct0), Bytes::from(ct1)],
    }
}

/// Alice's two notes deposited into the anchor's real `ShieldedPool` on L1, imported by the
/// node from the `ShieldedDeposit` logs, appended as DEPOSIT entries (S-3.3) and committed: the
/// anchor accepted `depositCursor = 2` (S-2.2 rule 2). Returns the block, the tree's four leaves
/// and its header.
async fn seed(
    h: &Harness,
    node: &Operator,
    alice: &Keys,
) -> (u64, [Fr; 4], debye_primitives::BlockHeader) {
    let pool = pool_of(h).await;
    let depositor = debye_primitives::test_utils::test_address(1);
    let notes = alice_notes(alice);
    for (i, note) in notes.iter().enumerate() {
        let ct = encrypt_note(note, &alice.address(), [i as u8 + 7; 32]).unwrap();
        let wei = U256::from(note.amount) * U256::from(1_000_000_000u64);
        let d = pool
            .deposit_eth(depositor, word(&note.owner_part()), ct, wei)
            .await
            .unwrap();
        assert_eq!(
            d.cm,
            word(&note.commitment()),
            "L1 computes the wallet's commitment"
        );
    }
    let cms = notes.map(|n| n.commitment());
    let imported = || {
        node.metrics()
            .shielded_deposits
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(
        eventually(async || imported() >= 2).await,
        "the node imported {} of 2 shielded deposits",
        imported()
    );
    let seeded = node.flush().await.unwrap().expect("a block");
    wait_committed(node, seeded).await;
    let header = client_of(node)
        .header(Some(seeded))
        .await
        .unwrap()
        .unwrap()
        .header;
    (
        seeded,
        [cms[0], Fr::from(0u64), cms[1], Fr::from(0u64)],
        header,
    )
}

/// The store and pool as a client sees them: the tip, its pool size and the status of `ids`.
async fn snapshot(
    node: &Operator,
    client: &HttpClient,
    ids: &[B256],
) -> (u64, Vec<ShieldedStatusView>) {
    let mut statuses = Vec::new();
    for id in ids {
        statuses.push(client.shielded_status(*id).await.unwrap());
    }
    (node.status().tip, statuses)
}

/// `t` changed by `f`, with `extDataHash` recomputed (so only the intended rule fails).
fn with(t: &ShieldedTransfer, f: impl FnOnce(&mut ShieldedTransfer)) -> ShieldedTransfer {
    let mut t = t.clone();
    f(&mut t);
    t.body.ext_data_hash = t.body.ext.hash();
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_are_admitted_built_into_blocks_and_bad_ones_refused() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    let pool = pool_of(&h).await.address();
    cfg.shielded.pool = Some(pool);
    let node = h.start(cfg).await;
    let client = client_of(&node);
    let chain_id = node.status().chain_id;
    let (pk, _) = groth16::insecure_dev_setup().unwrap();
    let alice = Keys::from_seed([0xa1; 32]).unwrap();
    let (seeded, leaves, h1) = seed(&h, &node, &alice).await;
    let mut reference = MerkleTree::new();
    for l in leaves {
        reference.append(l).unwrap();
    }
    assert_eq!(
        (h1.note_count, h1.entry_count, h1.deposit_cursor),
        (4, 2, 2)
    );
    assert_eq!(U256::from_be_bytes(h1.note_root.0), word(&reference.root()));

    let good = pay_bob(
        &pk,
        &alice,
        &leaves,
        seeded,
        (chain_id, pool),
        h1.timestamp + 3_600,
    );
    let answer = client.submit_shielded(good.clone()).await.unwrap();
    assert_eq!(answer.status, ShieldedStatusView::Pending);
    // Resubmitting answers the same id.
    assert_eq!(
        client.submit_shielded(good.clone()).await.unwrap().id,
        answer.id
    );

    // Each bad entry gets its code and changes nothing.
    let before = snapshot(&node, &client, &[answer.id]).await;
    let mut garbage = with(&good, |t| t.body.ext.nonce = B256::repeat_byte(1));
    garbage.nullifiers = [U256::from(1), U256::from(2)];
    let mut off_curve = garbage.clone();
    off_curve.body.proof[1] += U256::from(1);
    let bad: Vec<(ShieldedTransfer, ErrorCode, &str)> = vec![
        (
            with(&good, |t| t.body.ext.nonce = B256::repeat_byte(9)),
            ErrorCode::NullifierPending,
            "PoolDuplicate",
        ),
        (
            with(&good, |t| t.body.ext.kind = 3),
            ErrorCode::ShieldedWrongKind,
            "WrongKind",
        ),
        (
            with(&good, |t| t.body.public_amount = U256::from(5)),
            ErrorCode::ShieldedWrongKind,
            "NonzeroPublicAmount",
        ),
        (
            with(&good, |t| t.body.root = U256::from(7)),
            ErrorCode::UnknownRoot,
            "RootMismatch",
        ),
        (
            with(&good, |t| t.body.root_block = 99),
            ErrorCode::UnknownRoot,
            "UnknownRootBlock",
        ),
        (
            with(&good, |t| t.ciphertexts[0] = Bytes::from(vec![0u8; 124])),
            ErrorCode::ShieldedMalformed,
            "CiphertextSize",
        ),
        (
            with(&good, |t| t.body.ext.expiry = h1.timestamp + 999_999),
            ErrorCode::ShieldedExpired,
            "ExpiryTooFar",
        ),
        (garbage.clone(), ErrorCode::InvalidProof, "BadProof"),
        (off_curve, ErrorCode::InvalidProof, "MalformedProof"),
    ];
    for (t, code, reason) in bad {
        let err = api_error(&client.submit_shielded(t).await.unwrap_err());
        assert_eq!(err.code, code, "{reason}: {err:?}");
        assert_eq!(err.data.as_ref().unwrap()["reason"], reason, "{err:?}");
        assert!(
            err.data.as_ref().unwrap()["hint"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
        assert_eq!(
            snapshot(&node, &client, &[answer.id]).await,
            before,
            "{reason} changed state"
        );
    }
    // A refused garbage entry left nothing behind: its nullifiers are free.
    assert_eq!(
        client
            .shielded_status(B256::repeat_byte(0x77))
            .await
            .unwrap(),
        ShieldedStatusView::Unknown
    );

    // The block: one TRANSFER after the parent's leaves, header fields recomputed here; the
    // anchor accepts it.
    let n = node.flush().await.unwrap().expect("a block");
    wait_committed(&node, n).await;
    let block = client.block_by_number(n).await.unwrap().unwrap();
    let hdr = block.header;
    for cm in good.commitments {
        reference
            .append(Fr::from_be_bytes_mod_order(&cm.to_be_bytes::<32>()))
            .unwrap();
    }
    assert_eq!(
        (hdr.note_count, hdr.entry_count, hdr.deposit_cursor),
        (6, 1, 2)
    );
    assert_eq!(
        U256::from_be_bytes(hdr.note_root.0),
        word(&reference.root())
    );
    let entries = block.shielded.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].ciphertexts, good.ciphertexts.to_vec());
    let head = &entries[0].entry.head;
    assert_eq!(
        (head.first_leaf, head.nullifier0, head.commitment1),
        (4, good.nullifiers[0], good.commitments[1])
    );
    assert_eq!(
        hdr.entries_root,
        shielded::entries_root(&[entries[0].entry.leaf()]).unwrap()
    );
    block.clone().into_block().verify(node.domain()).unwrap();
    match client.shielded_status(answer.id).await.unwrap() {
        ShieldedStatusView::Included {
            block: b,
            index: 0,
            leaf,
            first_leaf: 4,
            ..
        } => {
            assert_eq!((b, leaf), (n, entries[0].entry.leaf()));
        }
        other => panic!("not included: {other:?}"),
    }
    let frontier = client.note_tree_frontier(Some(n)).await.unwrap().unwrap();
    assert_eq!((frontier.count, frontier.root), (6, hdr.note_root));
    assert_eq!(frontier.nodes.len(), 2, "6 = 0b110");
    assert!(
        client
            .note_tree_frontier(Some(n + 1))
            .await
            .unwrap()
            .is_none()
    );

    // Spent now: a new entry over the same notes is refused against the set.
    let err = api_error(
        &client
            .submit_shielded(with(&good, |t| t.body.ext.nonce = B256::repeat_byte(8)))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.code, ErrorCode::NullifierSpent, "{err:?}");
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

/// Crash safety's restart half (docs/shielded.md S-4.3): an admitted entry is durable before its
/// answer, survives a restart still holding its nullifiers, is included exactly once, and the
/// note tree and the nullifier set continue across the next restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admitted_entries_and_the_tree_survive_restarts() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    let pool = pool_of(&h).await.address();
    cfg.shielded.pool = Some(pool);
    let node = h.start(cfg.clone()).await;
    let chain_id = node.status().chain_id;
    let (pk, _) = groth16::insecure_dev_setup().unwrap();
    let alice = Keys::from_seed([0xa1; 32]).unwrap();
    let (seeded, leaves, h1) = seed(&h, &node, &alice).await;
    let client = client_of(&node);
    let good = pay_bob(
        &pk,
        &alice,
        &leaves,
        seeded,
        (chain_id, pool),
        h1.timestamp + 3_600,
    );
    let id = client.submit_shielded(good.clone()).await.unwrap().id;
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();

    // Restarted: still pending, still holding its nullifiers, answered with the same id.
    let node = h.start(cfg.clone()).await;
    let client = client_of(&node);
    assert_eq!(
        client.shielded_status(id).await.unwrap(),
        ShieldedStatusView::Pending
    );
    assert_eq!(client.submit_shielded(good.clone()).await.unwrap().id, id);
    let dup = with(&good, |t| t.body.ext.nonce = B256::repeat_byte(9));
    let err = api_error(&client.submit_shielded(dup.clone()).await.unwrap_err());
    assert_eq!(err.code, ErrorCode::NullifierPending, "{err:?}");
    let n = node
        .flush()
        .await
        .unwrap()
        .expect("the pooled entry's block");
    assert_eq!(
        node.flush().await.unwrap(),
        None,
        "included once, nothing left"
    );
    let hdr = client.header(Some(n)).await.unwrap().unwrap().header;
    assert_eq!((hdr.entry_count, hdr.note_count), (1, 6));
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();

    // Restarted again: the tree after block n is read back, the nullifiers are in the set.
    let node = h.start(cfg).await;
    let client = client_of(&node);
    let frontier = client.note_tree_frontier(None).await.unwrap().unwrap();
    assert_eq!(
        (frontier.block, frontier.count, frontier.root),
        (n, 6, hdr.note_root)
    );
    assert!(matches!(
        client.shielded_status(id).await.unwrap(),
        ShieldedStatusView::Included { block, first_leaf: 4, .. } if block == n
    ));
    let err = api_error(&client.submit_shielded(dup).await.unwrap_err());
    assert_eq!(err.code, ErrorCode::NullifierSpent, "{err:?}");
    assert_eq!(node.flush().await.unwrap(), None);
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

/// S-4.3 and S-2.2 rule 3: an exit started on L1 is imported: the pooled transfer spending the
/// same notes is dropped (`exited`), a new spend of them is refused with 1019
/// `NullifierExited` (also after a restart), and the next header's `exitCursor` counts the exit,
/// which the anchor accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_exit_drops_and_refuses_spends_of_its_notes() {
    let h = Harness::new().await;
    let mut cfg = config(h.dir.path());
    let pool = pool_of(&h).await;
    cfg.shielded.pool = Some(pool.address());
    let node = h.start(cfg.clone()).await;
    let client = client_of(&node);
    let chain = (node.status().chain_id, pool.address());
    let (pk, _) = groth16::insecure_dev_setup().unwrap();
    let alice = Keys::from_seed([0xa1; 32]).unwrap();
    let (seeded, leaves, h1) = seed(&h, &node, &alice).await;
    let transfer = pay_bob(&pk, &alice, &leaves, seeded, chain, h1.timestamp + 3_600);
    let id = client.submit_shielded(transfer.clone()).await.unwrap().id;

    // Alice exits both notes on L1 against the committed block (a real EXIT proof and bond).
    let recipient = debye_primitives::test_utils::test_address(2);
    let expiry = h.l1.timestamp().await.unwrap() + 3_600;
    let request = exit_alice(&pk, &alice, &leaves, chain, expiry, recipient);
    assert_eq!(request.nullifier0, transfer.nullifiers[0], "the same notes");
    let call = ShieldedPool::startExitCall {
        x: request,
        rootHeader: pool_header(&h1),
    };
    let bond = pool.exit_bond().await.unwrap();
    h.l1.send(L1Tx::call(recipient, pool.address(), call.abi_encode()).with_value(bond))
        .await
        .unwrap();

    let exited = || async {
        client.shielded_status(id).await.unwrap()
            == ShieldedStatusView::Dropped {
                reason: "exited".into(),
            }
    };
    assert!(
        eventually(async || exited().await).await,
        "the pooled spend was not dropped: {:?}",
        client.shielded_status(id).await.unwrap()
    );
    let refused = async |client: &HttpClient| {
        let t = with(&transfer, |t| t.body.ext.nonce = B256::repeat_byte(3));
        let err = api_error(&client.submit_shielded(t).await.unwrap_err());
        assert_eq!(err.code, ErrorCode::NullifierSpent, "{err:?}");
        assert_eq!(err.data.as_ref().unwrap()["reason"], "NullifierExited");
    };
    refused(&client).await;

    // The next block counts the exit and carries no entry; L1 accepts it.
    let n = node
        .flush()
        .await
        .unwrap()
        .expect("a block for the exit cursor");
    let hdr = client.header(Some(n)).await.unwrap().unwrap().header;
    assert_eq!(
        (hdr.exit_cursor, hdr.entry_count, hdr.deposit_cursor),
        (1, 0, 2)
    );
    wait_committed(&node, n).await;
    assert_eq!(node.flush().await.unwrap(), None, "nothing left to do");
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();

    // Restarted: the exited nullifiers are still in the set.
    let node = h.start(cfg).await;
    let client = client_of(&node);
    refused(&client).await;
    assert_eq!(node.flush().await.unwrap(), None);
    node.shutdown(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}
