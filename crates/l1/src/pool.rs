//! A typed client for the shielded ledger's L1 custody, the `ShieldedPool` contract
//! (`docs/shielded.md` §5): list a token with its note unit (S-5.2), queue ETH and ERC-20
//! deposits (S-5.3), read the two queues the operator imports (deposits, S-5.3, and started
//! exits, S-5.5; S-2.2 rules 2 and 3) and the pool's views.
//!
//! The pool is deployed with the anchor ([`crate::contracts::deploy_contracts`]) and found
//! through it ([`ShieldedPoolClient::of_chain`]).

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};

pub use crate::bindings::IShieldedPool::{self, ExitRecord};
pub use crate::bindings::PoolTypes;
pub use crate::bindings::ShieldedPool::{
    self, PoolTokenListed, ShieldedDeposit, ShieldedExitStarted,
};

use crate::{
    L1, L1Receipt, L1Tx, LogFilter, Result,
    bindings::Revert,
    contracts::{DebyeChainClient, decode_event, first_event, send_to, view_at},
};

/// A Plasma header in the pool's ABI type (what `startExit` and `challengeSpent` take).
pub fn pool_header(h: &debye_primitives::BlockHeader) -> PoolTypes::BlockHeader {
    debye_primitives::abi::BlockHeader::from(h).into()
}

/// Decodes revert data as one of the pool's custom errors.
pub fn decode_pool_revert(data: &[u8]) -> Option<ShieldedPool::ShieldedPoolErrors> {
    match Revert::decode(data) {
        Revert::Pool(e) => Some(e),
        _ => None,
    }
}

/// Life of a shielded deposit, as the pool stores it (S-5.3, S-5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    /// No deposit with this index.
    None,
    /// Queued for the operator to append.
    Queued,
    /// Refunded to its depositor (S-5.4).
    Refunded,
    /// Pinned: it can no longer be refunded.
    Pinned,
}

impl From<u8> for DepositStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Queued,
            2 => Self::Refunded,
            3 => Self::Pinned,
            _ => Self::None,
        }
    }
}

/// Life of a shielded exit, as the pool stores it (S-5.5 to S-5.15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// No exit with this index.
    None,
    /// Started, in its queue.
    Pending,
    /// Cancelled by a challenge or as a duplicate.
    Cancelled,
    /// Refused at payout (root block invalid, or a nullifier already paid).
    Refused,
    /// Paid (credited to its recipient and fee recipient).
    Paid,
}

impl From<u8> for ExitStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Pending,
            2 => Self::Cancelled,
            3 => Self::Refused,
            4 => Self::Paid,
            _ => Self::None,
        }
    }
}

/// A queued deposit as the pool emitted it, with the L1 block that holds its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositEvent {
    /// The decoded `ShieldedDeposit` event (index, commitment, token, units, depositor,
    /// `queuedAtBlock`, ciphertext).
    pub event: ShieldedDeposit,
    /// L1 block of the deposit.
    pub l1_block: u64,
}

/// A started exit as the pool emitted it, with the L1 block that holds its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitStartEvent {
    /// Its index in the pool's exit queue (what a header's `exitCursor` counts).
    pub index: u32,
    /// The Plasma block whose note root the exit proved against.
    pub root_block: u64,
    /// Every field of the exit's record (its two nullifiers among them).
    pub record: ExitRecord,
    /// L1 block of the start.
    pub l1_block: u64,
}

/// What a deposit transaction left behind: its queue index, commitment and L1 receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositReceipt {
    /// Index of the deposit in the pool's queue (what a header's `depositCursor` counts).
    pub index: u32,
    /// The note commitment L1 computed (S-5.3).
    pub cm: U256,
    /// The full event.
    pub event: ShieldedDeposit,
    /// The transaction's receipt.
    pub receipt: L1Receipt,
}

/// A typed client for one deployed `ShieldedPool` over any [`L1`] backend.
#[derive(Clone, Debug)]
pub struct ShieldedPoolClient<L> {
    l1: L,
    address: Address,
}

impl<L: L1> ShieldedPoolClient<L> {
    /// A client for a pool already deployed at `address`.
    pub fn at(l1: L, address: Address) -> Self {
        Self { l1, address }
    }

    /// The pool of the anchor `chain` (`DebyeChain.shieldedPool()`).
    pub async fn of_chain(chain: &DebyeChainClient<L>) -> Result<Self>
    where
        L: Clone,
    {
        let address = chain.shielded_pool().await?;
        Ok(Self::at(chain.l1().clone(), address))
    }

    /// The contract's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The L1 backend this client uses.
    pub fn l1(&self) -> &L {
        &self.l1
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return> {
        view_at(&self.l1, self.address, call).await
    }

    async fn send<C: SolCall>(&self, from: Address, call: C, value: U256) -> Result<L1Receipt> {
        send_to(&self.l1, from, self.address, call, value).await
    }

    /// Lists ERC-20 `token` with note unit `unit` base units (the chain's operator only, S-5.2).
    pub async fn list_token(
        &self,
        operator: Address,
        token: Address,
        unit: u64,
    ) -> Result<PoolTokenListed> {
        let call = ShieldedPool::listTokenCall { token, unit };
        let receipt = self.send(operator, call, U256::ZERO).await?;
        first_event(&receipt.logs)
    }

    /// Queues a deposit of `wei` (whole gwei) from `from` as the note with owner part
    /// `owner_part`; `ct` is its 123-byte note ciphertext (S-5.3, S-6.1).
    pub async fn deposit_eth(
        &self,
        from: Address,
        owner_part: U256,
        ct: impl Into<Bytes>,
        wei: U256,
    ) -> Result<DepositReceipt> {
        let call = ShieldedPool::depositEthCall {
            ownerPart: owner_part,
            ct: ct.into(),
        };
        deposit_receipt(self.send(from, call, wei).await?)
    }

    /// Queues a deposit of `amount` base units of `token` (whole units; `from` approved the
    /// pool first) as the note with owner part `owner_part` and ciphertext `ct` (S-5.3).
    pub async fn deposit_token(
        &self,
        from: Address,
        token: Address,
        amount: U256,
        owner_part: U256,
        ct: impl Into<Bytes>,
    ) -> Result<DepositReceipt> {
        let call = ShieldedPool::depositTokenCall {
            token,
            amount,
            ownerPart: owner_part,
            ct: ct.into(),
        };
        deposit_receipt(self.send(from, call, U256::ZERO).await?)
    }

    /// Deposits queued in L1 blocks `from_block..=to_block`, oldest first.
    pub async fn deposits(&self, from_block: u64, to_block: u64) -> Result<Vec<DepositEvent>> {
        let filter = self.filter::<ShieldedDeposit>(from_block, to_block);
        self.l1
            .logs(filter)
            .await?
            .iter()
            .map(|log| {
                Ok(DepositEvent {
                    event: decode_event(log)?,
                    l1_block: log.block_number,
                })
            })
            .collect()
    }

    /// Exits started in L1 blocks `from_block..=to_block`, oldest first.
    pub async fn exit_starts(&self, from_block: u64, to_block: u64) -> Result<Vec<ExitStartEvent>> {
        let filter = self.filter::<ShieldedExitStarted>(from_block, to_block);
        self.l1
            .logs(filter)
            .await?
            .iter()
            .map(|log| {
                let e: ShieldedExitStarted = decode_event(log)?;
                Ok(ExitStartEvent {
                    index: e.index,
                    root_block: e.rootBlock,
                    record: e.record,
                    l1_block: log.block_number,
                })
            })
            .collect()
    }

    fn filter<E: SolEvent>(&self, from_block: u64, to_block: u64) -> LogFilter {
        let mut filter = LogFilter::new(self.address, from_block).events([E::SIGNATURE_HASH]);
        filter.to_block = Some(to_block);
        filter
    }

    /// The anchor (`DebyeChain`) whose headers the pool trusts.
    pub async fn chain(&self) -> Result<Address> {
        self.view(ShieldedPool::chainCall {}).await
    }

    /// The bond `startExit` asks for (wei).
    pub async fn exit_bond(&self) -> Result<U256> {
        Ok(U256::from(
            self.view(ShieldedPool::exitBondCall {}).await?.to::<u128>(),
        ))
    }

    /// The exit period (seconds), the anchor's.
    pub async fn exit_period(&self) -> Result<u64> {
        self.view(ShieldedPool::exitPeriodCall {}).await
    }

    /// Base units of `token` per note unit; 0 if not listed (ETH: 1 gwei).
    pub async fn token_unit(&self, token: Address) -> Result<u64> {
        self.view(ShieldedPool::tokenUnitCall { token }).await
    }

    /// The status of deposit `index`.
    pub async fn deposit_status(&self, index: u32) -> Result<DepositStatus> {
        let s = self.view(ShieldedPool::depositStatusCall { index }).await?;
        Ok(DepositStatus::from(s))
    }

    /// The status of exit `index`.
    pub async fn exit_status(&self, index: u32) -> Result<ExitStatus> {
        let s = self.view(ShieldedPool::exitStatusCall { index }).await?;
        Ok(ExitStatus::from(s))
    }

    /// Base units of `token` credited to `account` and not yet withdrawn.
    pub async fn credit_of(&self, token: Address, account: Address) -> Result<U256> {
        self.view(ShieldedPool::creditOfCall { token, account })
            .await
    }

    /// Base units of `token` ever deposited, less refunds (S-7.4).
    pub async fn deposited(&self, token: Address) -> Result<U256> {
        self.view(ShieldedPool::depositedCall { token }).await
    }

    /// Base units of `token` ever paid out (S-7.4).
    pub async fn paid(&self, token: Address) -> Result<U256> {
        self.view(ShieldedPool::paidCall { token }).await
    }

    /// The head of `token`'s exit queue: `(prioKey, index)`.
    pub async fn queue_head(&self, token: Address) -> Result<(u64, u32)> {
        let r = self.view(ShieldedPool::queueHeadCall { token }).await?;
        Ok((r.prioKey, r.index))
    }

    /// Number of exits in `token`'s queue.
    pub async fn queue_length(&self, token: Address) -> Result<U256> {
        self.view(ShieldedPool::queueLengthCall { token }).await
    }

    /// How many exits, in start order, `queueExits` has moved into their token's queue (or
    /// skipped as cancelled); `processExits` pays nothing while an exit started before the head
    /// matured is not queued (S-5.7).
    pub async fn exits_queued(&self) -> Result<u32> {
        self.view(ShieldedPool::exitsQueuedCall {}).await
    }

    /// Queues started exits from `from`: `records` are the records of the pending exits from
    /// `exits_queued()` on, in start order, any token (S-5.7).
    pub async fn queue_exits(&self, from: Address, records: Vec<ExitRecord>) -> Result<L1Receipt> {
        self.send(from, ShieldedPool::queueExitsCall { records }, U256::ZERO)
            .await
    }
}

/// Gas limit of a `startExit` transaction: the verifier refuses to run with less than 420k gas
/// forwarded (docs/shielded.md S-5.5, "about 450k"), so an estimate that starves it must not be
/// used; the transaction uses about 340-370k.
pub const START_EXIT_GAS: u64 = 600_000;

/// What a `startExit` transaction left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitStartReceipt {
    /// The exit's index in the pool (parsed from its `ShieldedExitStarted` event).
    pub index: u32,
    /// Every field of its record: what `processExits` and challenges take back.
    pub record: ExitRecord,
    /// The transaction's receipt.
    pub receipt: L1Receipt,
}

/// What a `processExits` transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessReceipt {
    /// Indices of the exits paid (`ExitPaid` events).
    pub paid: Vec<u32>,
    /// Indices of exits refused (root block invalid, `ExitRefused`) or dropped because a
    /// nullifier was already paid (`ExitNullifierPaid`).
    pub not_paid: Vec<u32>,
    /// The transaction's receipt.
    pub receipt: L1Receipt,
}

/// What a `withdraw` transaction paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawReceipt {
    /// Base units paid to the account (0 when it had no credit).
    pub amount: U256,
    /// The transaction's receipt.
    pub receipt: L1Receipt,
}

impl<L: L1> ShieldedPoolClient<L> {
    /// Starts a ZK exit (S-5.5) from `from`, paying `bond` wei (`exit_bond`): `request` proves
    /// the spend of a whole note against the `noteRoot` of committed block `root_header`.
    pub async fn start_exit(
        &self,
        from: Address,
        request: IShieldedPool::ExitRequest,
        root_header: &debye_primitives::BlockHeader,
        bond: U256,
    ) -> Result<ExitStartReceipt> {
        let call = ShieldedPool::startExitCall {
            x: request,
            rootHeader: pool_header(root_header),
        };
        let mut tx = L1Tx::call(from, self.address, call.abi_encode()).with_value(bond);
        tx.gas_limit = Some(START_EXIT_GAS);
        let receipt = self.l1.send(tx).await?;
        let e: ShieldedExitStarted = first_event(&receipt.logs)?;
        Ok(ExitStartReceipt {
            index: e.index,
            record: e.record,
            receipt,
        })
    }

    /// Processes `token`'s exit queue (S-5.7) from `from`: `records` are the pending exits'
    /// records in queue order (`(prioKey, index)`); it stops at the first immature head.
    pub async fn process_exits(
        &self,
        from: Address,
        token: Address,
        records: Vec<ExitRecord>,
    ) -> Result<ProcessReceipt> {
        let call = ShieldedPool::processExitsCall { token, records };
        let receipt = self.send(from, call, U256::ZERO).await?;
        let paid = self.indices::<ShieldedPool::ExitPaid, _, _>(&receipt, |e| e.index);
        let mut not_paid = self.indices::<ShieldedPool::ExitRefused, _, _>(&receipt, |e| e.index);
        not_paid
            .extend(self.indices::<ShieldedPool::ExitNullifierPaid, _, _>(&receipt, |e| e.index));
        Ok(ProcessReceipt {
            paid,
            not_paid,
            receipt,
        })
    }

    /// Pays `account` its whole credit in `token` (exit payouts, fees, bonds, refunds; S-5.15):
    /// anyone may call it, so a fresh recipient needs no gas.
    pub async fn withdraw(
        &self,
        from: Address,
        token: Address,
        account: Address,
    ) -> Result<WithdrawReceipt> {
        let call = ShieldedPool::withdrawCall { token, account };
        let receipt = self.send(from, call, U256::ZERO).await?;
        let amount = self
            .indices::<ShieldedPool::Withdrawn, _, _>(&receipt, |e| e.amount)
            .into_iter()
            .fold(U256::ZERO, |a, b| a + b);
        Ok(WithdrawReceipt { amount, receipt })
    }

    /// One field of each of the pool's `E` events in `receipt`, in order.
    fn indices<E: SolEvent, T, F: Fn(E) -> T>(&self, receipt: &L1Receipt, f: F) -> Vec<T> {
        receipt
            .logs
            .iter()
            .filter(|l| l.address == self.address && l.topics.first() == Some(&E::SIGNATURE_HASH))
            .filter_map(|l| decode_event::<E>(l).ok())
            .map(f)
            .collect()
    }
}

fn deposit_receipt(receipt: L1Receipt) -> Result<DepositReceipt> {
    let event: ShieldedDeposit = first_event(&receipt.logs)?;
    Ok(DepositReceipt {
        index: event.index,
        cm: event.cm,
        event,
        receipt,
    })
}
