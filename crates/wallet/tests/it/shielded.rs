//! The wallet's shielded half on hand-made blocks: primitives entries, a debye_zk note tree for
//! the roots, real encryption and a real Groth16 proof (INSECURE dev setup).

use std::sync::OnceLock;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use ark_ff::{BigInteger, PrimeField};
use debye_primitives::{
    BlockHeader,
    shielded::{Entry, EntryBody, entries_root},
};
use debye_wallet::Error;
use debye_wallet::shielded::{
    NoteStatus, PrivateAddress, ShieldedState,
    exit::{ExitParams, RelayRequest},
    fr_to_u256,
    notes::ExpectedNote,
    scan::Scanner,
    transfer::{PrivateTransfer, TransferRequest},
};
use debye_zk::{
    Fr,
    circuit::PublicInputs,
    groth16::{self, JoinSplitProvingKey, JoinSplitVerifyingKey},
    keys::Keys,
    merkle::MerkleTree,
    note::{Note, encrypt_note},
};

const T0: u64 = 1_800_000_000;
const POOL: Address = Address::repeat_byte(0x51);

fn setup() -> &'static (JoinSplitProvingKey, JoinSplitVerifyingKey) {
    static KEYS: OnceLock<(JoinSplitProvingKey, JoinSplitVerifyingKey)> = OnceLock::new();
    KEYS.get_or_init(|| groth16::insecure_dev_setup().unwrap())
}

/// A chain of hand-made blocks: the leaves in a debye_zk tree, headers with the roots.
struct Chain {
    tree: MerkleTree,
    headers: Vec<BlockHeader>,
}

impl Chain {
    fn new() -> Self {
        Self {
            tree: MerkleTree::new(),
            headers: Vec::new(),
        }
    }

    fn first_leaf(&self) -> u64 {
        self.tree.len()
    }

    /// Appends a block holding `entries` (their commitments go into the tree) at `time`.
    fn block(&mut self, entries: &[(Entry, Vec<Bytes>)], time: u64) -> BlockHeader {
        for (e, _) in entries {
            for cm in [e.head.commitment0, e.head.commitment1] {
                self.tree
                    .append(Fr::from_be_bytes_mod_order(&cm.to_be_bytes::<32>()))
                    .unwrap();
            }
        }
        let leaves: Vec<B256> = entries.iter().map(|(e, _)| e.leaf()).collect();
        let root = if self.tree.is_empty() {
            B256::ZERO
        } else {
            B256::from_slice(&self.tree.root().into_bigint().to_bytes_be())
        };
        let h = BlockHeader {
            number: self.headers.len() as u64 + 1,
            prev_hash: self.headers.last().map(|h| h.hash()).unwrap_or_default(),
            tx_root: B256::ZERO,
            accumulator: B256::ZERO,
            note_root: root,
            note_count: self.tree.len(),
            entries_root: entries_root(&leaves).unwrap(),
            entry_count: entries.len() as u32,
            deposit_cursor: 0,
            exit_cursor: 0,
            timestamp: time,
        };
        self.headers.push(h);
        h
    }
}

fn view(entries: &[(Entry, Vec<Bytes>)]) -> Vec<(&Entry, &[Bytes])> {
    entries.iter().map(|(e, c)| (e, c.as_slice())).collect()
}

/// A wallet's shielded side: keys, scanner, state.
struct Holder {
    scanner: Scanner,
    state: ShieldedState,
}

impl Holder {
    fn new(seed: u8) -> Self {
        Self {
            scanner: Scanner::new(Keys::from_seed([seed; 32]).unwrap()),
            state: ShieldedState::default(),
        }
    }

    fn address(&self) -> PrivateAddress {
        PrivateAddress(self.scanner.keys().address())
    }

    /// A deposit of `amount` ETH units the wallet made: the note it expects, and the entry.
    fn deposit(&mut self, amount: u64, first_leaf: u64, index: u32) -> (Entry, Vec<Bytes>) {
        let note = Note {
            owner: self.scanner.keys().address().owner,
            token: Fr::from(0u64),
            amount,
            randomness: Fr::from(1000 + u64::from(index)),
        };
        let cm = fr_to_u256(&note.commitment());
        self.state.expected.push(ExpectedNote {
            token: U256::ZERO,
            amount,
            rho: fr_to_u256(&note.randomness),
            commitment: cm,
        });
        (Entry::deposit(first_leaf, B256::ZERO, cm, index), vec![])
    }

    fn scan(&mut self, h: &BlockHeader, entries: &[(Entry, Vec<Bytes>)]) {
        self.state
            .scan_block(&self.scanner, h, true, &view(entries))
            .unwrap();
    }

    fn unspent(&self) -> u64 {
        self.state.balances().get(&U256::ZERO).map_or(0, |b| b.0)
    }
}

fn entry_of(t: &PrivateTransfer, first_leaf: u64) -> (Entry, Vec<Bytes>) {
    (
        Entry::transfer(first_leaf, B256::ZERO, t.nullifiers, t.commitments, t.body),
        t.ciphertexts.to_vec(),
    )
}

fn request(to: PrivateAddress, amount: u64, now: u64) -> TransferRequest {
    TransferRequest {
        to,
        token: U256::ZERO,
        amount,
        chain_id: 31337,
        pool: POOL,
        now,
        ttl: 3600,
    }
}

fn fr(x: &U256) -> Fr {
    Fr::from_be_bytes_mod_order(&x.to_be_bytes::<32>())
}

#[test]
fn private_transfer_between_two_wallets() {
    let (pk, vk) = setup();
    let mut chain = Chain::new();
    let mut alice = Holder::new(0xa1);
    let mut bob = Holder::new(0xb0);

    // Block 1: Alice's deposit of 1,000 is appended at leaves 0 and 1.
    let b1 = vec![alice.deposit(1_000, 0, 0)];
    let h1 = chain.block(&b1, T0);
    alice.scan(&h1, &b1);
    bob.scan(&h1, &b1);
    assert_eq!(alice.unspent(), 1_000);
    assert_eq!(bob.state.notes.len(), 0);
    assert_eq!(alice.state.notes[0].position, 0);

    // Block 2: an empty block, a day later (an older root exists from now on).
    let h2 = chain.block(&[], T0 + 86_400 + 5);
    alice.scan(&h2, &[]);
    bob.scan(&h2, &[]);

    // Alice pays Bob 300: proven against block 1's root (at least REP old, S-6.4).
    let now = T0 + 86_400 + 60;
    let t = alice
        .state
        .build_transfer(&alice.scanner, pk, &request(bob.address(), 300, now))
        .unwrap();
    assert_eq!(t.body.root_block, 1);
    assert!(!t.root_reveals_timing);
    assert_eq!(t.body.ext.kind, 2);
    assert_eq!(t.body.ext.expiry % 600, 0);
    assert!(t.body.ext.expiry > now && t.body.ext.expiry <= now + 86_400);
    assert_eq!(t.body.ext.anchor, POOL);
    assert_eq!(t.body.ext.policy, 1);
    assert_eq!(t.body.public_amount, U256::ZERO);
    assert_ne!(t.nullifiers[0], t.nullifiers[1]);
    // The external data hash is the one debye-zk computes for the same fields.
    let zk_ext = debye_zk::ext_data::ExtData::transfer(
        31337,
        POOL.into_array(),
        t.body.ext.expiry,
        t.body.ext.nonce.0,
        [&t.ciphertexts[0], &t.ciphertexts[1]],
    );
    assert_eq!(fr(&t.body.ext_data_hash), zk_ext.hash());
    // The proof verifies against the public inputs the entry carries.
    let proof = groth16_proof(&t);
    let public = PublicInputs {
        root: fr(&t.body.root),
        nullifiers: t.nullifiers.map(|x| fr(&x)),
        commitments: t.commitments.map(|x| fr(&x)),
        public_amount: Fr::from(0u64),
        token: Fr::from(0u64),
        ext_data_hash: fr(&t.body.ext_data_hash),
    };
    assert!(groth16::verify(vk, &public, &proof).unwrap());
    println!("proving in the wallet: {} ms", t.prove_ms);

    // The submission the operator's API takes carries the same entry.
    let rpc = t.to_rpc();
    assert_eq!(
        (rpc.body, rpc.nullifiers, rpc.commitments),
        (t.body, t.nullifiers, t.commitments)
    );
    alice.state.mark_pending(&t);
    assert_eq!(alice.unspent(), 0);
    assert!(matches!(
        alice.state.notes[0].status,
        NoteStatus::Pending { .. }
    ));

    // Block 3 carries the transfer.
    let b3 = vec![entry_of(&t, chain.first_leaf())];
    let h3 = chain.block(&b3, now + 30);
    let mut bob_before = bob.state.clone();
    // Bob reads block 3 as the operator serves it: a `ShieldedSection`.
    let section = debye_primitives::ShieldedSection::new(
        b3.iter()
            .map(|(e, c)| debye_primitives::ShieldedEntry {
                entry: e.clone(),
                ciphertexts: c.clone(),
            })
            .collect(),
    );
    bob.state
        .scan_section(&bob.scanner, &h3, true, &section)
        .unwrap();
    alice.scan(&h3, &b3);
    // Bob finds exactly his note, Alice her change; Alice's input is spent.
    assert_eq!(bob.state.notes.len(), 1);
    assert_eq!(bob.unspent(), 300);
    assert_eq!(alice.unspent(), 700);
    assert_eq!(alice.state.notes[0].status, NoteStatus::Spent { block: 3 });
    // The note's path proves against block 3's root once refreshed (S-4.4).
    assert_eq!(bob.state.refresh_paths().unwrap(), Some(3));
    let rec = &bob.state.notes[0];
    let path = rec.path.as_ref().unwrap().to_path(rec.position).unwrap();
    assert_eq!(
        path.root(fr(&rec.commitment)),
        fr(&U256::from_be_bytes(h3.note_root.0))
    );

    // The same block scanned twice, or out of order, is refused without a change.
    let snapshot = bob.state.clone();
    assert!(
        bob.state
            .scan_block(&bob.scanner, &h3, true, &view(&b3))
            .is_err()
    );
    assert_eq!(bob.state, snapshot);

    // A block not committed on L1 teaches nothing.
    let before = bob_before.clone();
    let e = bob_before
        .scan_block(&bob.scanner, &h3, false, &view(&b3))
        .unwrap_err();
    assert_eq!(e.code(), "ShieldedBlock");
    assert_eq!(bob_before, before);

    // Bob pays Alice back 250 (one real input and a dummy); proving needs an L1-committed root:
    // the only one holding his note is block 3, which is young, so it says it reveals timing.
    let t2 = bob
        .state
        .build_transfer(&bob.scanner, pk, &request(alice.address(), 250, now + 120))
        .unwrap();
    assert_eq!(t2.body.root_block, 3);
    assert!(t2.root_reveals_timing);
    bob.state.mark_pending(&t2);
    // Not included before its expiry: the note comes back.
    let h4 = chain.block(&[], t2.body.ext.expiry + 1);
    bob.scan(&h4, &[]);
    assert_eq!(bob.unspent(), 300);
}

fn groth16_proof(t: &PrivateTransfer) -> groth16::JoinSplitProof {
    proof_of_words(&t.body.proof)
}

fn proof_of_words(p: &[U256; 8]) -> groth16::JoinSplitProof {
    use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
    let f = |x: &U256| Fq::from_be_bytes_mod_order(&x.to_be_bytes::<32>());
    groth16::JoinSplitProof {
        a: G1Affine::new(f(&p[0]), f(&p[1])),
        b: G2Affine::new(Fq2::new(f(&p[3]), f(&p[2])), Fq2::new(f(&p[5]), f(&p[4]))),
        c: G1Affine::new(f(&p[6]), f(&p[7])),
    }
}

/// A transfer entry whose ciphertext lies about the note (a larger amount than committed), and
/// one whose ciphertext bytes were flipped: neither creates a balance.
#[test]
fn forged_and_tampered_ciphertexts_are_ignored() {
    let mut chain = Chain::new();
    let mut bob = Holder::new(0xb1);
    let bob_addr = bob.address();
    // A real note of 5 to Bob, but the ciphertext says 5,000,000.
    let real = Note {
        owner: bob_addr.0.owner,
        token: Fr::from(0u64),
        amount: 5,
        randomness: Fr::from(77u64),
    };
    let lie = Note {
        amount: 5_000_000,
        ..real
    };
    let forged = encrypt_note(&lie, &bob_addr.0, [9; 32]).unwrap();
    let mut flipped = encrypt_note(&real, &bob_addr.0, [8; 32]).unwrap();
    flipped[60] ^= 1;
    let entries: Vec<(Entry, Vec<Bytes>)> = [forged, flipped]
        .into_iter()
        .enumerate()
        .map(|(i, ct)| {
            let filler = encrypt_note(&real, &bob_addr.0, [7; 32]).unwrap();
            let mut body = debye_primitives::shielded::TransferBody {
                root_block: 0,
                root: U256::from(1),
                public_amount: U256::ZERO,
                token: U256::ZERO,
                ext_data_hash: U256::ZERO,
                proof: [U256::ZERO; 8],
                ext: debye_primitives::shielded::ExtData {
                    kind: 2,
                    recipient: Address::ZERO,
                    fee_recipient: Address::ZERO,
                    fee: 0,
                    expiry: T0,
                    chain_id: 31337,
                    anchor: POOL,
                    policy: 1,
                    nonce: B256::repeat_byte(i as u8),
                    ct_hash0: keccak256(&ct),
                    ct_hash1: keccak256(&filler),
                },
            };
            body.ext_data_hash = body.ext.hash();
            let cm = fr_to_u256(&real.commitment());
            (
                Entry::transfer(
                    2 * i as u64,
                    B256::ZERO,
                    [U256::from(10 + i), U256::from(20 + i)],
                    // Output 1 commits to a note of another owner: its ciphertext is Bob's
                    // honest one, so it decrypts but does not recompute the commitment.
                    [cm, U256::from(12345 + i)],
                    body,
                ),
                vec![Bytes::from(ct), Bytes::from(filler)],
            )
        })
        .collect();
    let h = chain.block(&entries, T0);
    let scan = bob
        .state
        .scan_block(&bob.scanner, &h, true, &view(&entries))
        .unwrap();
    assert!(scan.received.is_empty(), "{scan:?}");
    assert_eq!(bob.state.notes.len(), 0);
    assert_eq!(bob.unspent(), 0);
    // The lie (tag matches, commitment differs) and both fillers were caught; the flipped
    // ciphertext fails authentication (or its tag) and teaches nothing either.
    assert!(scan.ignored >= 3, "{scan:?}");

    // A ciphertext that does not hash to ctHash: the block is refused (S-6.1), not half read.
    let mut bad = entries.clone();
    bad[0].1[1] = Bytes::from(vec![0u8; 123]);
    let mut carol = Holder::new(0xc0);
    let e = carol
        .state
        .scan_block(&carol.scanner, &h, true, &view(&bad))
        .unwrap_err();
    assert_eq!(e.code(), "ShieldedBlock");
    assert_eq!(carol.state, ShieldedState::default());
    // A header whose noteRoot the entries do not build is refused too.
    let mut wrong = h;
    wrong.note_root = B256::repeat_byte(1);
    let e = carol
        .state
        .scan_block(&carol.scanner, &wrong, true, &view(&entries))
        .unwrap_err();
    assert!(e.to_string().contains("noteRoot"), "{e}");
    let _ = EntryBody::decode;
}

/// A wallet made from a mnemonic derives its shielded keys from it, keeps the notes it scans
/// with a path to a committed root, and a backup restores them.
#[test]
fn notes_survive_backup_and_restore() {
    use debye_wallet::{Mnemonic, Wallet};
    let dir = tempfile::tempdir().unwrap();
    let kdf = crate::util::TEST_KDF;
    let mnemonic = Mnemonic::from_entropy(&[3u8; 32]).unwrap();
    let pass = "pass".into();
    let mut w = Wallet::create(&dir.path().join("a"), &mnemonic, 0, &pass, kdf).unwrap();
    let keys = w.shielded_keys(&pass).unwrap();
    // The address recorded at creation is the one the mnemonic's BIP-39 seed derives.
    let from_seed = Keys::from_bip39_seed(mnemonic.seed("").unwrap().expose()).unwrap();
    assert_eq!(keys.address(), from_seed.address());
    assert_eq!(
        w.state().shielded.address,
        Some(PrivateAddress(keys.address()))
    );
    let scanner = Scanner::new(keys);

    let dep = w
        .prepare_private_deposit(scanner.keys(), U256::ZERO, 1_000)
        .unwrap();
    assert_eq!(dep.ciphertext.len(), 123);
    // The ciphertext in the deposit log decrypts to the note L1 commits to.
    let n = scanner.try_decrypt(&dep.ciphertext).unwrap();
    assert_eq!(fr_to_u256(&n.commitment()), dep.commitment);
    let mut chain = Chain::new();
    let b1 = vec![(Entry::deposit(0, B256::ZERO, dep.commitment, 0), vec![])];
    let h1 = chain.block(&b1, T0);
    let scan = w
        .scan_shielded_block(&scanner, &h1, true, &view(&b1))
        .unwrap();
    assert_eq!(scan.received.len(), 1);
    let rec = w.state().shielded.notes[0].clone();
    assert_eq!(rec.amount, 1_000);
    assert!(rec.path.is_some());

    // Bytes per note at rest: the record (opening, position, block, nullifier, status, path)
    // plus the header its path proves against.
    let note_json = serde_json::to_vec(&rec).unwrap().len();
    let header_json = serde_json::to_vec(&w.state().shielded.headers[&1])
        .unwrap()
        .len();
    let full = {
        let mut r = rec.clone();
        // Worst case: a 40-sibling path (a tree of 2^40 leaves).
        r.path.as_mut().unwrap().siblings = vec![B256::repeat_byte(0xab); 40];
        serde_json::to_vec(&r).unwrap().len()
    };
    println!(
        "bytes per note (JSON): record {note_json} + header {header_json}; with a full 40-level path {full} + {header_json}"
    );

    let backup = w.backup(&pass, &"backup".into(), kdf).unwrap();
    let restored = Wallet::restore(
        &dir.path().join("b"),
        &backup,
        &"backup".into(),
        &"new".into(),
        kdf,
    )
    .unwrap();
    assert_eq!(restored.state().shielded, w.state().shielded);
    assert_eq!(restored.state().shielded.notes.len(), 1);
    // Reopened from disk, too.
    let reopened = Wallet::open(&dir.path().join("b"), &"new".into()).unwrap();
    assert_eq!(reopened.state().shielded.notes[0], rec);
}

/// `sync` scans each block's shielded section once the block checks against its L1 commitment:
/// a deposit's note shows in the balance with no separate scan, a block committed after it moves
/// the note's path forward, and syncing again changes nothing.
#[tokio::test]
async fn sync_scans_each_committed_shielded_section_once() {
    use debye_primitives::ShieldedEntry;
    let n = crate::util::net().await;
    let dir = tempfile::tempdir().unwrap();
    let mut w = crate::util::wallet(&dir.path().join("a"), 1);
    // An empty block before the wallet has shielded keys: scanned later, from block 1.
    n.chain.commit_pending().await.unwrap();
    w.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(w.state().shielded.scanned_to, 0);

    let keys = w.shielded_keys(&"correct horse".into()).unwrap();
    let dep = w.prepare_private_deposit(&keys, U256::ZERO, 1_000).unwrap();
    n.chain
        .commit_shielded(vec![ShieldedEntry {
            entry: Entry::deposit(0, B256::ZERO, dep.commitment, 0),
            ciphertexts: vec![],
        }])
        .await
        .unwrap();
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(r.notes_received.len(), 1);
    assert_eq!(r.notes_received[0].amount, 1_000);
    assert_eq!(w.state().shielded.scanned_to, 2);
    assert_eq!(
        w.state().shielded.balances().get(&U256::ZERO).map(|b| b.0),
        Some(1_000)
    );
    let before = w.state().shielded.clone();

    // Re-syncing (nothing new, then an empty block) finds nothing twice.
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.notes_received.is_empty());
    assert_eq!(w.state().shielded, before);
    n.chain.commit_pending().await.unwrap();
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.notes_received.is_empty() && r.alerts.is_empty());
    assert_eq!(w.state().shielded.scanned_to, 3);
    assert_eq!(w.state().shielded.notes, before.notes);
    assert_eq!(w.state().shielded.leaves, before.leaves);

    // A second wallet holding no note finds nothing in the same blocks.
    let mut bob = crate::util::wallet(&dir.path().join("b"), 2);
    bob.shielded_keys(&"correct horse".into()).unwrap();
    let r = bob.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.notes_received.is_empty() && r.alerts.is_empty());
    assert_eq!(bob.state().shielded.scanned_to, 3);
    assert!(bob.state().shielded.notes.is_empty());

    // A transfer built from the synced note marks it pending; a refused submission puts it
    // back (what `send --private` does on an operator's refusal), on disk too.
    let to = PrivateAddress(
        bob.shielded_keys(&"correct horse".into())
            .unwrap()
            .address(),
    );
    let now = n.chain.tip_header().unwrap().timestamp;
    let t = w
        .build_private_transfer(&Scanner::new(keys), &setup().0, &request(to, 600, now))
        .unwrap();
    let bal = |w: &debye_wallet::Wallet| w.state().shielded.balances()[&U256::ZERO];
    assert_eq!(bal(&w), (0, 1_000));
    w.release_private_transfer(&t).unwrap();
    assert_eq!(bal(&w), (1_000, 0));
    let reopened =
        debye_wallet::Wallet::open(&dir.path().join("a"), &"correct horse".into()).unwrap();
    assert_eq!(bal(&reopened), (1_000, 0));
}

fn exit_params(position: u64, now: u64) -> ExitParams {
    ExitParams {
        position,
        recipient: Address::repeat_byte(0xee),
        fee: 25,
        fee_recipient: Address::repeat_byte(0x77),
        chain_id: 31337,
        pool: POOL,
        now,
        ttl: 3600,
        allow_young_root: false,
    }
}

/// The exit of a whole note (S-5.5): refused with a typed reason for each bad input, refused
/// until a root a day old holds the note (S-6.4, saying when), then proven against that root
/// with kind EXIT, `publicAmount = −v`, both outputs `CM_ZERO` and no ciphertext hashes; the
/// relay request round-trips and a tampered one is refused; the note leaves the balance.
#[test]
fn exit_of_a_whole_note_is_proven_against_a_day_old_root() {
    let (pk, vk) = setup();
    let mut chain = Chain::new();
    let mut alice = Holder::new(0xa2);
    let b1 = vec![alice.deposit(1_000, 0, 0)];
    let h1 = chain.block(&b1, T0);
    alice.scan(&h1, &b1);
    let pos = alice.state.notes[0].position;

    // Too early: the only root holding the note is younger than REP; the error says when.
    let e = alice
        .state
        .build_exit(&alice.scanner, pk, &exit_params(pos, T0 + 60))
        .unwrap_err();
    assert!(
        matches!(e, Error::NoExitRootYet { position: 0, ready_at } if ready_at == T0 + 86_400),
        "{e}"
    );
    // Bad inputs, each with its own refusal, before any proving.
    let later = T0 + 86_400 + 60;
    let bad = |s: &ShieldedState, f: &dyn Fn(&mut ExitParams)| {
        let mut p = exit_params(pos, later);
        f(&mut p);
        s.check_exit(&p).unwrap_err().code()
    };
    assert_eq!(bad(&alice.state, &|p| p.position = 99), "UnknownNote");
    assert_eq!(bad(&alice.state, &|p| p.fee = 1_001), "FeeAboveAmount");
    assert_eq!(
        bad(&alice.state, &|p| p.recipient = Address::ZERO),
        "ZeroRecipient"
    );
    assert_eq!(
        bad(&alice.state, &|p| p.fee_recipient = Address::ZERO),
        "FeeWithoutRelayer"
    );

    let h2 = chain.block(&[], T0 + 86_400 + 5);
    alice.scan(&h2, &[]);
    let x = alice
        .state
        .build_exit(&alice.scanner, pk, &exit_params(pos, later))
        .unwrap();
    assert_eq!(x.root_header, h1);
    assert!(!x.root_reveals_timing);
    assert_eq!((x.amount, x.token, x.ext.fee), (1_000, Address::ZERO, 25));
    assert_eq!(x.ext.kind, 3);
    assert_eq!((x.ext.ct_hash0, x.ext.ct_hash1), (B256::ZERO, B256::ZERO));
    assert!(x.ext.expiry > later && x.ext.expiry <= later + 86_400);
    assert_eq!(x.nullifiers[0], alice.state.notes[0].nullifier);
    assert_ne!(x.nullifiers[0], x.nullifiers[1]);
    // The proof verifies against the inputs L1 rebuilds (S-5.5): the header's root, CM_ZERO
    // outputs, r − v, the token, the hash of the external data as debye-zk computes it.
    let zk_ext = debye_zk::ext_data::ExtData::exit(
        x.ext.recipient.into_array(),
        x.ext.fee_recipient.into_array(),
        25,
        x.ext.expiry,
        31337,
        POOL.into_array(),
        x.ext.nonce.0,
    );
    let public = PublicInputs {
        root: fr(&U256::from_be_bytes(h1.note_root.0)),
        nullifiers: x.nullifiers.map(|n| fr(&n)),
        commitments: [debye_zk::note::cm_zero(); 2],
        public_amount: -Fr::from(1_000u64),
        token: Fr::from(0u64),
        ext_data_hash: zk_ext.hash(),
    };
    let proof = proof_of_words(&x.proof);
    assert!(groth16::verify(vk, &public, &proof).unwrap());
    // Mutation: the same proof for a larger amount does not verify.
    let more = PublicInputs {
        public_amount: -Fr::from(1_001u64),
        ..public
    };
    assert!(!groth16::verify(vk, &more, &proof).unwrap());

    // The relay request: versioned JSON that round-trips; a wrong version or a hand-edited
    // outer field is refused by name.
    let req = RelayRequest::new(x.clone());
    let text = serde_json::to_string_pretty(&req).unwrap();
    assert_eq!(RelayRequest::parse(&text).unwrap(), req);
    assert_eq!(req.payout(), 975);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["version"] = 2.into();
    assert_eq!(
        RelayRequest::parse(&v.to_string()).unwrap_err().code(),
        "RelayRequest"
    );
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["rootBlock"] = 2.into();
    assert!(RelayRequest::parse(&v.to_string()).is_err());

    // Marked exiting: out of the balance, counted as exiting, not exitable twice; started on L1.
    alice.state.mark_exiting(&x);
    assert_eq!(alice.unspent(), 0);
    assert_eq!(alice.state.exiting()[&U256::ZERO], 1_000);
    assert_eq!(bad(&alice.state, &|_| {}), "NoteNotSpendable");
    assert!(alice.state.mark_exit_started(&x.nullifiers[0], 4));
    assert_eq!(alice.state.notes[0].status, NoteStatus::Exited { exit: 4 });
    assert!(!alice.state.mark_exit_started(&x.nullifiers[1], 5));
}

/// The whole private path on revm against the pool and the anchor: `deposit --private` queues
/// a real L1 deposit whose note the wallet finds once a committed block appends it; a day later
/// it proves the note's exit to a fresh address with a relayer's fee; another account relays
/// the request (bond and gas), and after the exit period processing the queue and withdrawing
/// pays the recipient exactly `amount − fee` and the relayer exactly `fee` (its bond back).
#[tokio::test]
async fn private_deposit_then_exit_through_a_relayer_pays_amount_minus_fee() {
    use debye_l1::{L1, pool::ShieldedPoolClient};
    use debye_primitives::ShieldedEntry;
    use debye_wallet::wallet::private_l1::{finalize, relay};
    const GWEI: u64 = 1_000_000_000;
    let n = crate::util::net().await;
    n.chain.count_deposits();
    let pool = ShieldedPoolClient::of_chain(&n.client).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut w = crate::util::wallet(&dir.path().join("a"), 1);
    let keys = w.shielded_keys(&"correct horse".into()).unwrap();
    let scanner = Scanner::new(keys.clone());

    // deposit --private: 2 ETH as 2·10^9 gwei units (S-5.2).
    let amount = 2 * GWEI;
    let dep = w.deposit_private(&pool, &keys, None, amount).await.unwrap();
    assert_eq!(
        dep.base_units,
        U256::from(2u128 * 1_000_000_000_000_000_000)
    );
    assert_eq!(w.state().shielded.expected.len(), 1);
    // The operator appends it (DEPOSIT entry for queue index 0, cursor 1) in block 1.
    n.chain
        .commit_shielded(vec![ShieldedEntry {
            entry: Entry::deposit(0, B256::ZERO, dep.deposit.commitment, dep.index),
            ciphertexts: vec![],
        }])
        .await
        .unwrap();
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(r.notes_received.len(), 1);
    assert_eq!(w.state().shielded.balances()[&U256::ZERO].0, amount);
    let position = w.state().shielded.notes[0].position;

    // A restore from the keys alone (no expected note) finds the deposit in the pool's log.
    let mut restored = crate::util::wallet(&dir.path().join("r"), 1);
    restored.shielded_keys(&"correct horse".into()).unwrap();
    restored.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(
        restored.state().shielded.notes,
        w.state().shielded.notes,
        "a restored wallet finds its deposit from the L1 log"
    );

    // A day later a root at least REP old holds the note (S-6.4).
    n.l1.advance_time(86_400 + 60).await.unwrap();
    n.chain.commit_pending().await.unwrap();
    w.sync(&n.client, &n.chain).await.unwrap();
    let now = n.l1.timestamp().await.unwrap();
    let recipient = Address::repeat_byte(0x99);
    let relayer = debye_primitives::test_utils::test_address(2);
    let fee = 3_000_000; // 0.003 ETH
    let params = ExitParams {
        position,
        recipient,
        fee,
        fee_recipient: relayer,
        chain_id: n.l1.chain_id().await.unwrap(),
        pool: pool.address(),
        now,
        ttl: 3600,
        allow_young_root: false,
    };
    let x = w.build_private_exit(&scanner, &setup().0, &params).unwrap();
    assert_eq!(x.root_header.number, 1);
    assert_eq!(w.state().shielded.balances()[&U256::ZERO].0, 0);
    assert_eq!(w.state().shielded.exiting()[&U256::ZERO], amount);
    let file = serde_json::to_string(&RelayRequest::new(x.clone())).unwrap();

    // Any account with ETH relays it: the recipient has none.
    assert_eq!(n.l1.balance(recipient).await.unwrap(), U256::ZERO);
    let relayer_before = n.l1.balance(relayer).await.unwrap();
    // A relayer cannot raise its fee: the proof binds the external data (S-3.4), so L1 refuses.
    let mut greedy = RelayRequest::parse(&file).unwrap();
    greedy.exit.ext.fee += 1;
    let e = relay(&pool, relayer, &greedy).await.unwrap_err();
    assert_eq!(e.code(), "L1", "{e}");
    // A request whose root header is not the committed one is refused before any gas is spent.
    let mut forged = RelayRequest::parse(&file).unwrap();
    forged.exit.root_header.timestamp += 1;
    let e = relay(&pool, relayer, &forged).await.unwrap_err();
    assert_eq!(e.code(), "RelayRequest", "{e}");
    assert_eq!(n.l1.balance(relayer).await.unwrap(), relayer_before);
    let started = relay(&pool, relayer, &RelayRequest::parse(&file).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (
            started.index,
            started.amount,
            started.fee,
            started.recipient
        ),
        (0, amount, fee, recipient)
    );
    // The wallet sees the start in the pool's log: the note is exited.
    w.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(
        w.state().shielded.notes[0].status,
        NoteStatus::Exited { exit: 0 }
    );

    // Not mature yet: nothing is paid.
    let early = finalize(&pool, relayer, Address::ZERO, &[recipient, relayer])
        .await
        .unwrap();
    assert!(early.paid.is_empty());
    assert_eq!(early.waiting, vec![(0, started.exitable_at)]);
    assert_eq!(n.l1.balance(recipient).await.unwrap(), U256::ZERO);

    // After the exit period (time travel on revm) it pays.
    let wait = started.exitable_at - n.l1.timestamp().await.unwrap() + 1;
    n.l1.advance_time(wait).await.unwrap();
    let done = finalize(&pool, relayer, Address::ZERO, &[recipient, relayer])
        .await
        .unwrap();
    assert_eq!(done.paid, vec![0]);
    let gwei = |u: u64| U256::from(u) * U256::from(GWEI);
    assert_eq!(
        n.l1.balance(recipient).await.unwrap(),
        gwei(amount - fee),
        "the recipient receives exactly amount - fee"
    );
    // The embedded L1 charges no gas: the relayer's bond came back and it earned the fee.
    assert_eq!(
        n.l1.balance(relayer).await.unwrap(),
        relayer_before + gwei(fee),
        "the relayer earns exactly the fee"
    );
    assert!(
        pool.credit_of(Address::ZERO, recipient)
            .await
            .unwrap()
            .is_zero()
    );
}

/// Withheld shielded data (S-7.2, §7.4): a committed block whose served section does not match
/// its header, or that is not served at all, raises a typed alert that `sync` reports and the
/// store keeps (so `balance` and `notes` repeat it); a matching body ends it.
#[tokio::test]
async fn withheld_shielded_data_raises_a_standing_alert() {
    use debye_primitives::{ShieldedEntry, ShieldedSection};
    use debye_wallet::cli::{balance, context::Context, notes};
    let n = crate::util::net().await;
    let dir = tempfile::tempdir().unwrap();
    let wdir = dir.path().join("a");
    let mut w = crate::util::wallet(&wdir, 1);
    let keys = w.shielded_keys(&"correct horse".into()).unwrap();
    let deposit_entry = |w: &mut debye_wallet::Wallet, first: u64| {
        let dep = w.prepare_private_deposit(&keys, U256::ZERO, 500).unwrap();
        ShieldedEntry {
            entry: Entry::deposit(first, B256::ZERO, dep.commitment, 0),
            ciphertexts: vec![],
        }
    };
    let e1 = deposit_entry(&mut w, 0);
    n.chain.commit_shielded(vec![e1]).await.unwrap();
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.shielded_withheld.is_none() && r.alerts.is_empty());

    // Block 2 is committed, but the operator serves a section that does not match it.
    let e2 = deposit_entry(&mut w, 2);
    n.chain.commit_shielded(vec![e2]).await.unwrap();
    n.chain
        .serve_section(2, Some(ShieldedSection::new(Vec::new())));
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    let alert = r.shielded_withheld.clone().expect("a withheld alert");
    assert_eq!(alert.block, 2);
    let said =
        "block 2's shielded data is withheld: exit your notes now (debye wallet exit --private";
    assert!(r.alerts.iter().any(|a| a.contains(said)), "{:?}", r.alerts);
    assert_eq!(w.state().shielded.withheld, Some(alert));
    assert_eq!(
        w.state().shielded.scanned_to,
        1,
        "nothing past it is accepted"
    );
    // `balance` and `notes` (read from the store, no passphrase) repeat it.
    let ctx = Context::new(Some(wdir.clone()), false, None).unwrap();
    let b = balance::run(&ctx).unwrap();
    assert_eq!(b.private_withheld.as_ref().map(|a| a.block), Some(2));
    assert!(b.to_string().contains(said), "{b}");
    let listed = notes::run(&ctx).unwrap();
    assert!(listed.to_string().contains(said), "{listed}");

    // The real body ends the alert; the note in it arrives.
    n.chain.serve_section(2, None);
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert!(r.shielded_withheld.is_none(), "{:?}", r.alerts);
    assert_eq!(w.state().shielded.scanned_to, 2);
    assert_eq!(w.state().shielded.notes.len(), 2);

    // A block not served at all is withheld too.
    n.chain.commit_pending().await.unwrap();
    n.chain.withhold(3);
    let r = w.sync(&n.client, &n.chain).await.unwrap();
    assert_eq!(r.shielded_withheld.map(|a| a.block), Some(3));
    assert!(!balance::run(&ctx).unwrap().to_string().is_empty());
}

/// An ERC-20 listed for the pool with a unit of 100 base units: `deposit --private` of 30 units
/// moves 3,000 base units; the wallet exits the note itself (`exit --private --submit`: it pays
/// bond and gas, no fee) and after the exit period the recipient withdraws exactly 3,000.
#[tokio::test]
async fn private_erc20_deposit_and_direct_exit() {
    use debye_l1::{L1, contracts::TestTokenClient, pool::ShieldedPoolClient};
    use debye_primitives::ShieldedEntry;
    use debye_wallet::wallet::private_l1::finalize;
    let n = crate::util::net().await;
    n.chain.count_deposits();
    let pool = ShieldedPoolClient::of_chain(&n.client).await.unwrap();
    let token = TestTokenClient::deploy(n.l1.clone(), n.operator, "Debye USD", "dUSD")
        .await
        .unwrap();
    pool.list_token(n.operator, token.address(), 100)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut w = crate::util::wallet(&dir.path().join("a"), 1);
    token
        .mint(n.operator, w.address(), U256::from(5_000u64))
        .await
        .unwrap();
    let keys = w.shielded_keys(&"correct horse".into()).unwrap();
    let dep = w
        .deposit_private(&pool, &keys, Some(token.address()), 30)
        .await
        .unwrap();
    assert_eq!(dep.base_units, U256::from(3_000u64));
    assert_eq!(
        token.balance_of(pool.address()).await.unwrap(),
        U256::from(3_000u64)
    );
    // An unlisted token is refused before anything moves.
    let e = w
        .deposit_private(&pool, &keys, Some(Address::repeat_byte(7)), 1)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "InvalidAmount");
    assert_eq!(w.state().shielded.expected.len(), 1);

    n.chain
        .commit_shielded(vec![ShieldedEntry {
            entry: Entry::deposit(0, B256::ZERO, dep.deposit.commitment, dep.index),
            ciphertexts: vec![],
        }])
        .await
        .unwrap();
    n.l1.advance_time(86_400 + 60).await.unwrap();
    n.chain.commit_pending().await.unwrap();
    w.sync(&n.client, &n.chain).await.unwrap();
    let field = U256::from_be_slice(token.address().as_slice());
    assert_eq!(w.state().shielded.balances()[&field].0, 30);

    let recipient = Address::repeat_byte(0x98);
    let params = ExitParams {
        position: w.state().shielded.notes[0].position,
        recipient,
        fee: 0,
        fee_recipient: Address::ZERO,
        chain_id: n.l1.chain_id().await.unwrap(),
        pool: pool.address(),
        now: n.l1.timestamp().await.unwrap(),
        ttl: 3600,
        allow_young_root: false,
    };
    let x = w
        .build_private_exit(&Scanner::new(keys), &setup().0, &params)
        .unwrap();
    let started = w.submit_private_exit(&pool, &x).await.unwrap();
    assert_eq!(
        w.state().shielded.notes[0].status,
        NoteStatus::Exited {
            exit: started.index
        }
    );
    let wait = started.exitable_at - n.l1.timestamp().await.unwrap() + 1;
    n.l1.advance_time(wait).await.unwrap();
    let done = finalize(&pool, w.address(), token.address(), &[recipient])
        .await
        .unwrap();
    assert_eq!(done.paid, vec![started.index]);
    assert_eq!(
        token.balance_of(recipient).await.unwrap(),
        U256::from(3_000u64)
    );
}

/// The same private path against the REAL operator node (in process, JSON-RPC on loopback, the
/// embedded L1): the node imports the wallet's pool deposit from L1 and appends it; the wallet
/// finds the note by syncing over the node's API; a relayer starts the wallet's exit and after
/// the exit period the recipient is paid exactly `amount − fee` and the relayer `fee`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_operator_appends_a_private_deposit_and_the_note_exits_through_a_relayer() {
    use std::{sync::Arc, time::Duration};

    use debye_l1::{EmbeddedL1, L1, contracts::DebyeChainClient, pool::ShieldedPoolClient};
    use debye_operator::{
        DEV_OPERATOR, Operator,
        test_utils::{config, eventually},
    };
    use debye_primitives::test_utils::test_address;
    use debye_wallet::{
        rpc::RpcSource,
        wallet::private_l1::{finalize, relay},
    };
    const GWEI: u64 = 1_000_000_000;
    let patience = Duration::from_secs(30);
    let l1 = Arc::new(EmbeddedL1::new());
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let deployer = Address::repeat_byte(0x0e);
    let relayer = test_address(2);
    for a in [deployer, test_address(1), relayer] {
        l1.fund(a, U256::from(100u64) * eth);
    }
    let chain = DebyeChainClient::deploy(l1.clone(), deployer, DEV_OPERATOR)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Operator::start(config(&dir.path().join("op")), chain.clone(), DEV_OPERATOR)
        .await
        .unwrap();
    let source = RpcSource::connect(&format!("http://{}", node.rpc_addr().unwrap())).unwrap();
    let pool = ShieldedPoolClient::of_chain(&chain).await.unwrap();
    let mut w = crate::util::wallet(&dir.path().join("a"), 1);
    let keys = w.shielded_keys(&"correct horse".into()).unwrap();

    let amount = 3 * GWEI;
    let dep = w.deposit_private(&pool, &keys, None, amount).await.unwrap();
    let imported = || {
        node.metrics()
            .shielded_deposits
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(
        eventually(patience, async || imported() >= 1).await,
        "the node did not import the deposit"
    );
    let block = node.flush().await.unwrap().expect("a block");
    assert!(
        eventually(patience, async || node.status().l1_committed >= block).await,
        "block {block} not committed: {:?}",
        node.status()
    );
    let r = w.sync(&chain, &source).await.unwrap();
    assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    assert_eq!(r.notes_received.len(), 1, "{r:?}");
    assert_eq!(w.state().shielded.balances()[&U256::ZERO].0, amount);
    let note = w.state().shielded.notes[0].clone();
    assert_eq!(note.commitment, dep.deposit.commitment);

    // A day later the block's root is old enough (S-6.4); prove, relay, wait, pay.
    l1.advance_time(86_400 + 60).await.unwrap();
    let recipient = Address::repeat_byte(0x97);
    let fee = 5_000_000;
    let params = ExitParams {
        position: note.position,
        recipient,
        fee,
        fee_recipient: relayer,
        chain_id: l1.chain_id().await.unwrap(),
        pool: pool.address(),
        now: l1.timestamp().await.unwrap(),
        ttl: 3600,
        allow_young_root: false,
    };
    let x = w
        .build_private_exit(&Scanner::new(keys), &setup().0, &params)
        .unwrap();
    assert_eq!(x.root_header.number, block);
    let relayer_before = l1.balance(relayer).await.unwrap();
    let started = relay(&pool, relayer, &RelayRequest::new(x)).await.unwrap();
    let wait = started.exitable_at - l1.timestamp().await.unwrap() + 1;
    l1.advance_time(wait).await.unwrap();
    let done = finalize(&pool, relayer, Address::ZERO, &[recipient, relayer])
        .await
        .unwrap();
    assert_eq!(done.paid, vec![started.index]);
    let gwei = |u: u64| U256::from(u) * U256::from(GWEI);
    assert_eq!(l1.balance(recipient).await.unwrap(), gwei(amount - fee));
    assert_eq!(
        l1.balance(relayer).await.unwrap(),
        relayer_before + gwei(fee)
    );
    node.shutdown(Duration::from_secs(5)).await.unwrap();
}
