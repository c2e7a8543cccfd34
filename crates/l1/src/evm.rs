//! The embedded L1: revm in-process, one block per transaction, a clock that tests can move.

use std::sync::{Mutex, MutexGuard};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use revm::{
    Context, DatabaseCommit, ExecuteEvm, MainBuilder, MainContext, MainnetEvm,
    context::{BlockEnv, CfgEnv, Journal, TxEnv, result::ExecutionResult, result::Output},
    database::{CacheDB, EmptyDB},
    primitives::{TxKind, hardfork::SpecId},
};

use crate::{Error, L1, L1Log, L1Receipt, L1Tx, LogFilter, Result};

type Db = CacheDB<EmptyDB>;
type Evm = MainnetEvm<Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>>;

/// Chain id of the embedded chain (the same as anvil's default, so tooling treats it as dev).
pub const EMBEDDED_CHAIN_ID: u64 = 31337;
/// Timestamp of the embedded chain's genesis block.
const GENESIS_TIMESTAMP: u64 = 1_700_000_000;
/// Seconds between blocks mined by transactions, as on mainnet.
const BLOCK_TIME: u64 = 12;
/// Block gas limit; also the default gas limit of a transaction that does not set one.
const BLOCK_GAS_LIMIT: u64 = 30_000_000;

/// An in-process EVM implementing [`L1`]: deterministic, instant, with time travel.
///
/// Every successful transaction is mined in a block of its own. A reverted transaction changes
/// nothing (not even the sender's nonce), mirroring how [`crate::RpcL1`] rejects a transaction
/// whose simulation reverts before broadcasting it. Gas is free (base fee 0), so balances move
/// only by value transfers, which keeps balance assertions in tests exact.
pub struct EmbeddedL1 {
    inner: Mutex<Inner>,
}

struct Inner {
    /// World state. The EVM itself is rebuilt per transaction: it is cheap to build and not
    /// `Send`, while this state is.
    db: Db,
    logs: Vec<L1Log>,
    block_number: u64,
    timestamp: u64,
}

impl std::fmt::Debug for EmbeddedL1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("EmbeddedL1")
            .field("block_number", &inner.block_number)
            .field("timestamp", &inner.timestamp)
            .finish_non_exhaustive()
    }
}

impl Default for EmbeddedL1 {
    fn default() -> Self {
        Self::new()
    }
}

impl EmbeddedL1 {
    /// A fresh chain at genesis with no accounts funded.
    pub fn new() -> Self {
        let inner = Inner {
            db: CacheDB::new(EmptyDB::default()),
            logs: Vec::new(),
            block_number: 0,
            timestamp: GENESIS_TIMESTAMP,
        };
        Self {
            inner: Mutex::new(inner),
        }
    }

    /// Gives `account` `wei` (development funding; replaces its balance).
    pub fn fund(&self, account: Address, wei: U256) {
        let mut inner = self.lock();
        let db = &mut inner.db;
        let mut info = db
            .cache
            .accounts
            .get(&account)
            .map(|a| a.info.clone())
            .unwrap_or_default();
        info.balance = wei;
        db.insert_account_info(account, info);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the EVM half-committed (revm commits
        // atomically), so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn nonce(inner: &mut Inner, account: Address) -> u64 {
        inner
            .db
            .cache
            .accounts
            .get(&account)
            .map_or(0, |a| a.info.nonce)
    }

    fn tx_env(inner: &mut Inner, tx: &L1Tx) -> Result<TxEnv> {
        let nonce = Self::nonce(inner, tx.from);
        TxEnv::builder()
            .caller(tx.from)
            .kind(tx.to.map_or(TxKind::Create, TxKind::Call))
            .value(tx.value)
            .data(tx.input.clone())
            .gas_limit(tx.gas_limit.unwrap_or(BLOCK_GAS_LIMIT))
            .gas_price(0)
            .nonce(nonce)
            .chain_id(Some(EMBEDDED_CHAIN_ID))
            .build()
            .map_err(|e| Error::Rejected(format!("{e:?}")))
    }

    /// Runs `f` on an EVM over the current state at the current block.
    fn with_evm<R>(inner: &mut Inner, f: impl FnOnce(&mut Evm) -> R) -> R {
        let (number, timestamp) = (inner.block_number, inner.timestamp);
        let db = std::mem::replace(&mut inner.db, CacheDB::new(EmptyDB::default()));
        let mut evm = Context::mainnet()
            .with_db(db)
            .modify_cfg_chained(|cfg| {
                cfg.set_spec_and_mainnet_gas_params(SpecId::PRAGUE);
                cfg.chain_id = EMBEDDED_CHAIN_ID;
            })
            .modify_block_chained(|block: &mut BlockEnv| {
                block.number = U256::from(number);
                block.timestamp = U256::from(timestamp);
                block.gas_limit = BLOCK_GAS_LIMIT;
                block.basefee = 0;
            })
            .build_mainnet();
        let out = f(&mut evm);
        inner.db = evm.ctx.journaled_state.database;
        out
    }

    fn mine(inner: &mut Inner, seconds: u64) {
        inner.block_number += 1;
        inner.timestamp += seconds;
    }

    fn send_sync(&self, tx: &L1Tx) -> Result<L1Receipt> {
        let mut inner = self.lock();
        let env = Self::tx_env(&mut inner, tx)?;
        let nonce = env.nonce;
        Self::mine(&mut inner, BLOCK_TIME);
        // Execute without committing; a revert or halt must leave no trace, not even a block.
        let executed = Self::with_evm(&mut inner, |evm| evm.transact(env))
            .map_err(|e| Error::Rejected(e.to_string()))
            .and_then(|out| check(out.result).map(|ok| (ok, out.state)));
        let (result, state) = match executed {
            Ok(done) => done,
            Err(e) => {
                inner.block_number -= 1;
                inner.timestamp -= BLOCK_TIME;
                return Err(e);
            }
        };
        inner.db.commit(state);
        let block_number = inner.block_number;
        let tx_hash = synthetic_tx_hash(tx.from, nonce, block_number);
        let first_index = inner
            .logs
            .iter()
            .filter(|l| l.block_number == block_number)
            .count() as u64;
        let logs: Vec<L1Log> = result
            .logs
            .into_iter()
            .enumerate()
            .map(|(i, log)| L1Log {
                address: log.address,
                topics: log.data.topics().to_vec(),
                data: log.data.data.clone(),
                block_number,
                tx_hash,
                log_index: first_index + i as u64,
            })
            .collect();
        inner.logs.extend(logs.iter().cloned());
        Ok(L1Receipt {
            tx_hash,
            block_number,
            gas_used: result.gas_used,
            contract_address: result.created,
            logs,
        })
    }

    fn call_sync(&self, tx: &L1Tx) -> Result<Bytes> {
        let mut inner = self.lock();
        let env = Self::tx_env(&mut inner, tx)?;
        let result = Self::with_evm(&mut inner, |evm| evm.transact(env))
            .map_err(|e| Error::Rejected(e.to_string()))?;
        Ok(check(result.result)?.output)
    }
}

/// What a successful execution left behind.
struct Success {
    gas_used: u64,
    output: Bytes,
    created: Option<Address>,
    logs: Vec<alloy_primitives::Log>,
}

fn check(result: ExecutionResult) -> Result<Success> {
    match result {
        ExecutionResult::Success {
            gas, logs, output, ..
        } => {
            let (output, created) = match output {
                Output::Call(out) => (out, None),
                Output::Create(out, addr) => (out, addr),
            };
            Ok(Success {
                // A receipt's gasUsed: spent less the refund (capped at a fifth, EIP-3529), at
                // least the EIP-7623 calldata floor. `total_gas_spent` is neither.
                gas_used: gas.tx_gas_used(),
                output,
                created,
                logs,
            })
        }
        ExecutionResult::Revert { output, .. } => Err(Error::Reverted { data: output }),
        ExecutionResult::Halt { reason, .. } => Err(Error::Halted(format!("{reason:?}"))),
    }
}

/// The embedded chain has no signed transactions; a hash over sender, nonce and block stands in.
fn synthetic_tx_hash(from: Address, nonce: u64, block: u64) -> B256 {
    let mut buf = Vec::with_capacity(20 + 16);
    buf.extend_from_slice(from.as_slice());
    buf.extend_from_slice(&nonce.to_be_bytes());
    buf.extend_from_slice(&block.to_be_bytes());
    keccak256(buf)
}

impl L1 for EmbeddedL1 {
    async fn chain_id(&self) -> Result<u64> {
        Ok(EMBEDDED_CHAIN_ID)
    }

    async fn send(&self, tx: L1Tx) -> Result<L1Receipt> {
        self.send_sync(&tx)
    }

    async fn call(&self, tx: L1Tx) -> Result<Bytes> {
        self.call_sync(&tx)
    }

    async fn logs(&self, filter: LogFilter) -> Result<Vec<L1Log>> {
        Ok(self
            .lock()
            .logs
            .iter()
            .filter(|l| filter.matches(l))
            .cloned()
            .collect())
    }

    async fn block_number(&self) -> Result<u64> {
        Ok(self.lock().block_number)
    }

    async fn timestamp(&self) -> Result<u64> {
        Ok(self.lock().timestamp)
    }

    async fn balance(&self, account: Address) -> Result<U256> {
        let inner = self.lock();
        Ok(inner
            .db
            .cache
            .accounts
            .get(&account)
            .map_or(U256::ZERO, |a| a.info.balance))
    }

    async fn nonce(&self, account: Address) -> Result<u64> {
        Ok(Self::nonce(&mut self.lock(), account))
    }

    async fn advance_time(&self, seconds: u64) -> Result<()> {
        let mut inner = self.lock();
        Self::mine(&mut inner, seconds);
        Ok(())
    }
}
