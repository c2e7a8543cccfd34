//! `debye wallet ...`: the command-line surface of the wallet (feature `cli`). The binary only
//! embeds [`WalletArgs`] and calls [`run`].
//!
//! One module per command, as foundry's `cmd/`: each holds its options (a clap `Args`) and a
//! `run` that calls the library and returns a typed output (`Serialize` for `--json`, `Display`
//! for the text). [`context`] holds what commands share; this module only dispatches and
//! prints, and no command module uses it.

pub mod address;
pub mod backup;
pub mod balance;
pub mod context;
pub mod create;
pub mod deposit;
pub mod exit;
pub mod exit_private;
pub mod force;
pub mod history;
pub mod import;
pub mod notes;
pub mod receive;
pub mod relay;
pub mod restore;
pub mod send;
pub mod send_private;
pub mod swap;
pub mod sync;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use self::context::{Context, print_line, try_print_line};
pub use self::{
    context::{Kdf, L1Args},
    swap::SwapStep,
};
use crate::error::Result;

/// Manage a Debye wallet: keys, deposits, balances, coin histories, exits, backups.
///
/// The wallet lives in a directory (default `~/.debye/wallet`): `keystore.json` (the account key,
/// Web3 Secret Storage v3), `mnemonic.json` (the BIP-39 entropy, same encryption) and
/// `wallet.json` (coins and their proofs). The passphrase comes from `--passphrase-file`, else
/// the `DEBYE_PASSPHRASE` environment variable, else a prompt. Secrets are never accepted on the
/// command line.
///
/// Examples:
///   debye wallet create
///   debye wallet import --mnemonic-file words.txt --index 0
///   DEBYE_PASSPHRASE=... debye wallet deposit --amount 1000000000000000000 \
///       --l1-rpc http://127.0.0.1:8545 --anchor 0x5FbDB2315678afecb367f032d93F642f64180aa3
///   debye wallet balance --json
///   debye wallet backup --out wallet.backup.json
///   debye wallet restore --from wallet.backup.json --wallet ~/.debye/restored
#[derive(Debug, Args)]
#[command(
    verbatim_doc_comment,
    after_help = "Examples:
  debye wallet create --show-mnemonic
  debye wallet import --mnemonic-file words.txt --index 0
  DEBYE_PASSPHRASE=... debye wallet deposit --amount 1000000000000000000 --l1-rpc URL --anchor ADDR
  debye wallet sync --operator http://127.0.0.1:8645 --l1-rpc URL --anchor ADDR --auto-exit
  debye wallet send --to ADDR --amount 500 --max-block 120 --out pay.json --operator URL
  debye wallet receive --history pay.json --operator URL --l1-rpc URL --anchor ADDR
  debye wallet balance --json
  debye wallet exit --start --answer --finalize --l1-rpc URL --anchor ADDR
  debye wallet deposit --private --amount 2ETH --l1-rpc URL --anchor ADDR
  debye wallet exit --private --note 0 --to ADDR --relayer ADDR --fee 1000000 --out request.json --l1-rpc URL --anchor ADDR
  debye wallet relay request.json --l1-rpc URL --anchor ADDR
  debye wallet relay --finalize --recipient ADDR --l1-rpc URL --anchor ADDR
  debye wallet force --tx pay.json --l1-rpc URL --anchor ADDR
  debye wallet force --finalize --l1-rpc URL --anchor ADDR
  debye wallet backup --out wallet.backup.json
  debye wallet restore --from wallet.backup.json --wallet ./restored

Exit status: 0 ok, 1 error, 3 a coin history was refused (see docs/wallet.md)."
)]
pub struct WalletArgs {
    /// Wallet directory.
    #[arg(long, global = true, env = "DEBYE_WALLET")]
    pub wallet: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the passphrase from the first line of this file.
    #[arg(long, global = true)]
    pub passphrase_file: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// Wallet commands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a wallet from a fresh 24-word mnemonic.
    ///
    /// Example: `debye wallet create --show-mnemonic`
    Create(create::CreateArgs),
    /// Import a wallet from a BIP-39 mnemonic or a raw private key, read from a file or the
    /// environment (never from the command line).
    ///
    /// Example: `debye wallet import --mnemonic-file words.txt`
    Import(import::ImportArgs),
    /// Print the wallet's address (no passphrase needed); `--private`: its shielded `dbs1…`
    /// address.
    ///
    /// Example: `debye wallet address --private`
    Address(address::AddressArgs),
    /// Print balances per token: spendable, being spent, exiting; and shielded notes' balances.
    Balance,
    /// List the shielded notes: position, block, amount, status, the block of the stored exit path.
    Notes,
    /// Deposit ETH, or an ERC-20 (approve + deposit), from the wallet's L1 account.
    ///
    /// Example: `debye wallet deposit --amount 1000 --token 0x... --l1-rpc ... --anchor ...`
    Deposit(deposit::DepositArgs),
    /// Build and sign a payment offline; writes the signed transaction and the histories the
    /// recipient needs to `--out`.
    ///
    /// Example: `debye wallet send --to 0x... --amount 500 --max-block 120 --out pay.json`
    Send(send::SendArgs),
    /// Follow the chain to the L1 tip: check each block against its L1 commitment, extend every
    /// coin's history, verify incoming payments; report withheld blocks and unsigned spends.
    ///
    /// Example: `debye wallet sync --operator http://127.0.0.1:8645 --l1-rpc ... --anchor ...`
    Sync(sync::SyncArgs),
    /// Accept coins handed over with their history (a file written by `send`, or one history):
    /// extend it from the operator, apply the safety rule, add the coins if it holds.
    ///
    /// Example: `debye wallet receive --history pay.json --operator ... --l1-rpc ... --anchor ...`
    Receive(receive::ReceiveArgs),
    /// Atomic swap of two ranges between two wallets, through files.
    Swap(swap::SwapArgs),
    /// Show what happened: deposits, payments, swaps, alerts.
    History,
    /// Exits: without flags, show what each coin's exit needs from held data; with `--start`,
    /// start exits on L1; `--answer` answers challenge requests against them; `--finalize`
    /// settles and withdraws matured ones. `--private --note ID --to ADDR`: prove the exit of a
    /// whole shielded note and write a relay request (`--out`) or start it (`--submit`).
    ///
    /// Example: `debye wallet exit --start --answer --finalize --l1-rpc ... --anchor ...`;
    /// `debye wallet exit --private --note 0 --to 0x... --relayer 0x... --fee 1000000 --out request.json --l1-rpc ... --anchor ...`
    Exit(exit::ExitArgs),
    /// Start someone's proven private exit from this wallet's L1 account (it pays the bond and
    /// gas and earns the request's fee), or with `--finalize` process a token's exit queue and
    /// withdraw credits (the relayer's fee, and each `--recipient`'s payout).
    ///
    /// Example: `debye wallet relay request.json --l1-rpc ... --anchor ...`, then after the exit
    /// period `debye wallet relay --finalize --recipient 0x... --l1-rpc ... --anchor ...`
    Relay(relay::RelayArgs),
    /// Force a transaction the operator censors on L1 (docs/exit-game.md §12): with `--tx`, post
    /// it with the forcing bond and sign it there; with `--finalize`, settle forced transactions
    /// whose challenge period is over and show each one's outcome.
    ///
    /// Example: `debye wallet force --tx pay.json --l1-rpc ... --anchor ...`, then after the
    /// challenge period `debye wallet force --finalize --l1-rpc ... --anchor ...`
    Force(force::ForceArgs),
    /// Write an encrypted backup of keys and all held proofs.
    ///
    /// Example: `debye wallet backup --out wallet.backup.json`
    Backup(backup::BackupArgs),
    /// Restore a backup into a new wallet directory.
    ///
    /// Example: `debye wallet restore --from wallet.backup.json --wallet ./restored`
    Restore(restore::RestoreArgs),
}

/// Runs a wallet command; prints the result (text or JSON) and returns the process exit code.
/// Errors are printed with their code and, where there is one, a hint.
pub async fn run(args: WalletArgs) -> i32 {
    let json = args.json;
    match execute(args).await {
        Ok(text) => {
            print_line(text);
            0
        }
        Err(e) => {
            if json {
                let v = json!({ "error": { "code": e.code(), "message": e.to_string(), "hint": e.hint() } });
                // The exit status reports the failure even if nobody reads this.
                let _ = try_print_line(v);
            } else {
                eprintln!("error: {e}");
                if let Some(h) = e.hint() {
                    eprintln!("hint: {h}");
                }
            }
            if e.is_history_fault() { 3 } else { 1 }
        }
    }
}

/// Runs the command and renders its output.
async fn execute(args: WalletArgs) -> Result<String> {
    let ctx = Context::new(args.wallet, args.json, args.passphrase_file)?;
    Ok(match args.command {
        WalletCommand::Create(a) => ctx.render(&create::run(&ctx, &a)?),
        WalletCommand::Import(a) => ctx.render(&import::run(&ctx, a)?),
        WalletCommand::Address(a) => ctx.render(&address::run(&ctx, &a)?),
        WalletCommand::Notes => ctx.render(&notes::run(&ctx)?),
        WalletCommand::Balance => ctx.render(&balance::run(&ctx)?),
        WalletCommand::Deposit(a) => ctx.render(&deposit::run(&ctx, a).await?),
        WalletCommand::Send(a) => ctx.render(&send::run(&ctx, a).await?),
        WalletCommand::Sync(a) => ctx.render(&sync::run(&ctx, a).await?),
        WalletCommand::Receive(a) => ctx.render(&receive::run(&ctx, a).await?),
        WalletCommand::Swap(a) => ctx.render(&swap::run(&ctx, a).await?),
        WalletCommand::History => ctx.render(&history::run(&ctx)?),
        WalletCommand::Exit(a) => ctx.render(&exit::run(&ctx, a).await?),
        WalletCommand::Relay(a) => ctx.render(&relay::run(&ctx, a).await?),
        WalletCommand::Force(a) => ctx.render(&force::run(&ctx, a).await?),
        WalletCommand::Backup(a) => ctx.render(&backup::run(&ctx, a)?),
        WalletCommand::Restore(a) => ctx.render(&restore::run(&ctx, a)?),
    })
}
