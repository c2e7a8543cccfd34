//! `debye wallet ...`: the command-line surface of the wallet (feature `cli`). The binary only
//! embeds [`WalletArgs`] and calls [`run`]; everything here parses, calls the library, prints.

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use clap::{Args, Subcommand, ValueEnum};
use debye_l1::{RpcL1, contracts::DebyeChainClient};
use serde_json::json;

use debye_primitives::Segment;

use crate::{
    AccountKey, Error, Mnemonic, Passphrase, Result, Secret, Wallet,
    history::CoinHistory,
    keystore::{Keystore, ScryptParams},
    passphrase::PassphraseSource,
    rpc::RpcSource,
    source::BlockSource,
    wallet::{Payment, SwapOffer, SwapProposal},
};

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

/// Key derivation cost for new keystores.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Kdf {
    /// scrypt n=2^18, r=8, p=1 (256 MiB, about a second): the default.
    #[default]
    Standard,
    /// scrypt n=2^12, r=8, p=6: for tests and throwaway wallets only.
    Light,
}

impl Kdf {
    const fn params(self) -> ScryptParams {
        match self {
            Self::Standard => ScryptParams::STANDARD,
            Self::Light => ScryptParams::LIGHT,
        }
    }
}

/// Where L1 is.
#[derive(Debug, Args)]
pub struct L1Args {
    /// L1 JSON-RPC endpoint.
    #[arg(long, env = "DEBYE_L1_RPC")]
    pub l1_rpc: String,
    /// The DebyeChain anchor contract.
    #[arg(long, env = "DEBYE_ANCHOR")]
    pub anchor: Address,
}

/// Wallet commands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a wallet from a fresh 24-word mnemonic.
    ///
    /// Example: `debye wallet create --show-mnemonic`
    Create {
        /// Account index along m/44'/60'/0'/0/i.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// Print the mnemonic once (to stderr) so it can be written down.
        #[arg(long)]
        show_mnemonic: bool,
        /// scrypt cost of the keystore.
        #[arg(long, value_enum, default_value_t)]
        kdf: Kdf,
    },
    /// Import a wallet from a BIP-39 mnemonic or a raw private key, read from a file or the
    /// environment (never from the command line).
    ///
    /// Example: `debye wallet import --mnemonic-file words.txt`
    Import {
        /// File holding the mnemonic.
        #[arg(long, group = "secret")]
        mnemonic_file: Option<PathBuf>,
        /// Environment variable holding the mnemonic.
        #[arg(long, group = "secret")]
        mnemonic_env: Option<String>,
        /// File holding a hex private key.
        #[arg(long, group = "secret")]
        private_key_file: Option<PathBuf>,
        /// Account index along m/44'/60'/0'/0/i.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// scrypt cost of the keystore.
        #[arg(long, value_enum, default_value_t)]
        kdf: Kdf,
    },
    /// Print the wallet's address (no passphrase needed).
    Address,
    /// Print balances per token: spendable, being spent, exiting.
    Balance,
    /// Deposit ETH, or an ERC-20 (approve + deposit), from the wallet's L1 account.
    ///
    /// Example: `debye wallet deposit --amount 1000 --token 0x... --l1-rpc ... --anchor ...`
    Deposit {
        /// Amount in base units (wei for ETH).
        #[arg(long)]
        amount: U256,
        /// ERC-20 token address (ETH when omitted).
        #[arg(long)]
        token: Option<Address>,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
    /// Build and sign a payment offline; writes the signed transaction and the histories the
    /// recipient needs to `--out`.
    ///
    /// Example: `debye wallet send --to 0x... --amount 500 --max-block 120 --out pay.json`
    Send {
        /// Recipient.
        #[arg(long)]
        to: Address,
        /// Amount in base units.
        #[arg(long)]
        amount: U256,
        /// Token id (0 = ETH).
        #[arg(long, default_value_t = 0)]
        token: u32,
        /// Last block the transaction may be included in.
        #[arg(long)]
        max_block: u64,
        /// Where to write the payment (transaction + histories, JSON) for the recipient.
        #[arg(long)]
        out: PathBuf,
        /// Operator JSON-RPC endpoint: submit the transaction there.
        #[arg(long, env = "DEBYE_OPERATOR")]
        operator: Option<String>,
        /// Replace the blocks in which the paid coins did not move by one accumulator proof
        /// from the operator (needs `--operator`; the recipient then relies on a watcher having
        /// checked the accumulator, docs/accumulator.md §13.4).
        #[arg(long, requires = "operator")]
        compress: bool,
    },
    /// Follow the chain to the L1 tip: check each block against its L1 commitment, extend every
    /// coin's history, verify incoming payments; report withheld blocks and unsigned spends.
    ///
    /// Example: `debye wallet sync --operator http://127.0.0.1:8645 --l1-rpc ... --anchor ...`
    Sync {
        /// Operator JSON-RPC endpoint.
        #[arg(long, env = "DEBYE_OPERATOR")]
        operator: String,
        /// Start exits at once for coins the operator put at risk.
        #[arg(long)]
        auto_exit: bool,
        /// Keep watching: repeat every this many seconds (sync, exits when `--auto-exit`,
        /// answer challenge requests, cancel others' exits of the wallet's coins) until killed.
        #[arg(long)]
        watch: Option<u64>,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
    /// Accept coins handed over with their history (a file written by `send`, or one history):
    /// extend it from the operator, apply the safety rule, add the coins if it holds.
    ///
    /// Example: `debye wallet receive --history pay.json --operator ... --l1-rpc ... --anchor ...`
    Receive {
        /// Payment or history file (JSON).
        #[arg(long)]
        history: PathBuf,
        /// Operator JSON-RPC endpoint.
        #[arg(long, env = "DEBYE_OPERATOR")]
        operator: String,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
    /// Atomic swap of two ranges between two wallets, through files.
    Swap {
        /// The step.
        #[command(subcommand)]
        step: SwapStep,
    },
    /// Show what happened: deposits, payments, swaps, alerts.
    History,
    /// Exits: without flags, show what each coin's exit needs from held data; with `--start`,
    /// start exits on L1; `--answer` answers challenge requests against them; `--finalize`
    /// settles and withdraws matured ones.
    ///
    /// Example: `debye wallet exit --start --answer --finalize --l1-rpc ... --anchor ...`
    Exit {
        /// Start exits for all coins (or those overlapping `--segment`).
        #[arg(long)]
        start: bool,
        /// Only coins overlapping this range (`START..END`, decimal or 0x-hex coin ids).
        #[arg(long, value_parser = parse_segment)]
        segment: Option<Segment>,
        /// Answer open challenge requests against the wallet's exits, and cancel other people's
        /// exits of the wallet's coins that its histories show were spent.
        #[arg(long)]
        answer: bool,
        /// Finalize and withdraw matured exits.
        #[arg(long)]
        finalize: bool,
        /// L1 JSON-RPC endpoint (needed with any flag).
        #[arg(long, env = "DEBYE_L1_RPC")]
        l1_rpc: Option<String>,
        /// The DebyeChain anchor contract (needed with any flag).
        #[arg(long, env = "DEBYE_ANCHOR")]
        anchor: Option<Address>,
    },
    /// Force a transaction the operator censors on L1 (docs/exit-game.md §12): with `--tx`, post
    /// it with the forcing bond and sign it there; with `--finalize`, settle forced transactions
    /// whose challenge period is over and show each one's outcome.
    ///
    /// Example: `debye wallet force --tx pay.json --l1-rpc ... --anchor ...`, then after the
    /// challenge period `debye wallet force --finalize --l1-rpc ... --anchor ...`
    Force {
        /// The payment written by `send` (or a signed transaction, JSON) to force.
        #[arg(long, required_unless_present = "finalize")]
        tx: Option<PathBuf>,
        /// Settle matured forced transactions and report their outcome.
        #[arg(long)]
        finalize: bool,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
    /// Write an encrypted backup of keys and all held proofs.
    ///
    /// Example: `debye wallet backup --out wallet.backup.json`
    Backup {
        /// Backup file.
        #[arg(long)]
        out: PathBuf,
        /// Read the backup passphrase from this file (else DEBYE_BACKUP_PASSPHRASE, else a prompt).
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
        /// scrypt cost of the backup.
        #[arg(long, value_enum, default_value_t)]
        kdf: Kdf,
    },
    /// Restore a backup into a new wallet directory.
    ///
    /// Example: `debye wallet restore --from wallet.backup.json --wallet ./restored`
    Restore {
        /// Backup file.
        #[arg(long)]
        from: PathBuf,
        /// Read the backup passphrase from this file (else DEBYE_BACKUP_PASSPHRASE, else a prompt).
        #[arg(long)]
        backup_passphrase_file: Option<PathBuf>,
        /// scrypt cost of the restored keystore.
        #[arg(long, value_enum, default_value_t)]
        kdf: Kdf,
    },
}

/// Steps of an atomic swap.
#[derive(Debug, Subcommand)]
pub enum SwapStep {
    /// Counterparty: offer a range (inside one coin) and write the offer with its history.
    Offer {
        /// The range given (`START..END`).
        #[arg(long, value_parser = parse_segment)]
        give: Segment,
        /// Offer file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Proposer: check the counterparty's offer, build the swap transaction, sign it.
    Propose {
        /// The range given in exchange (`START..END`).
        #[arg(long, value_parser = parse_segment)]
        give: Segment,
        /// The counterparty's offer file.
        #[arg(long)]
        offer: PathBuf,
        /// Last block the transaction may be included in.
        #[arg(long)]
        max_block: u64,
        /// Proposal file to write.
        #[arg(long)]
        out: PathBuf,
        /// Operator JSON-RPC endpoint (to check the offer's history).
        #[arg(long, env = "DEBYE_OPERATOR")]
        operator: String,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
    /// Counterparty: check the proposal against its own offer, co-sign, submit.
    Cosign {
        /// The proposal file.
        #[arg(long)]
        proposal: PathBuf,
        /// The offer this wallet made.
        #[arg(long)]
        offer: PathBuf,
        /// Operator JSON-RPC endpoint (checks the proposer's coins, then submits).
        #[arg(long, env = "DEBYE_OPERATOR")]
        operator: String,
        /// L1 access.
        #[command(flatten)]
        l1: L1Args,
    },
}

/// Parses `START..END` (decimal or `0x` hex coin ids) into a segment.
fn parse_segment(s: &str) -> std::result::Result<Segment, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| "expected START..END".to_owned())?;
    let num = |x: &str| x.trim().parse::<U256>().map_err(|e| format!("{x:?}: {e}"));
    Segment::new(num(a)?, num(b)?).map_err(|e| e.to_string())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(crate::error::io(path))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::MalformedHistory(format!("{}: {e}", path.display())))
}

fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Error::Operator(e.to_string()))?;
    crate::store::write_atomic(path, &bytes)
}

fn connect(w: &Wallet, l1: &L1Args) -> Result<DebyeChainClient<RpcL1>> {
    let rpc = RpcL1::connect(&l1.l1_rpc, [w.key().l1_signer()])?;
    Ok(DebyeChainClient::at(rpc, l1.anchor))
}

fn describe_guard(r: &crate::exits::GuardReport, as_json: bool) -> String {
    if as_json {
        return json!({ "report": r }).to_string();
    }
    let mut text = format!(
        "synced to block {}: {} received, {} spent",
        r.sync.synced_to,
        r.sync.received.len(),
        r.sync.spent.len()
    );
    for a in &r.sync.alerts {
        text.push_str(&format!("\nALERT {a}"));
    }
    if !r.sync.exit_needed.is_empty() {
        text.push_str(&format!(
            "\n{} coin(s) must exit: {}",
            r.sync.exit_needed.len(),
            if r.exits_started.is_empty() {
                "run `debye wallet exit --start` (or sync with --auto-exit)"
            } else {
                "exits started"
            }
        ));
    }
    if r.challenges_answered + r.exits_cancelled > 0 {
        text.push_str(&format!(
            "\n{} challenge request(s) answered, {} exit(s) of our coins cancelled",
            r.challenges_answered, r.exits_cancelled
        ));
    }
    text
}

fn wallet_dir(args: &WalletArgs) -> Result<PathBuf> {
    if let Some(d) = &args.wallet {
        return Ok(d.clone());
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".debye").join("wallet"))
        .ok_or_else(|| Error::Passphrase("no --wallet and no HOME".into()))
}

fn backup_source(file: Option<PathBuf>) -> PassphraseSource {
    match file {
        Some(f) => PassphraseSource::File(f),
        None if std::env::var_os("DEBYE_BACKUP_PASSPHRASE").is_some() => {
            PassphraseSource::Env("DEBYE_BACKUP_PASSPHRASE".into())
        }
        None => PassphraseSource::Prompt,
    }
}

/// Runs a wallet command; prints the result (text or JSON) and returns the process exit code.
/// Errors are printed with their code and, where there is one, a hint.
pub async fn run(args: WalletArgs) -> i32 {
    let json = args.json;
    match execute(args).await {
        Ok(out) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out.json).unwrap_or_default()
                );
            } else {
                println!("{}", out.text);
            }
            0
        }
        Err(e) => {
            if json {
                let v = json!({ "error": { "code": e.code(), "message": e.to_string(), "hint": e.hint() } });
                println!("{v}");
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

struct Out {
    text: String,
    json: serde_json::Value,
}

fn read_secret_file(path: &std::path::Path) -> Result<Secret<String>> {
    std::fs::read_to_string(path)
        .map(Secret::new)
        .map_err(crate::error::io(path))
}

async fn execute(args: WalletArgs) -> Result<Out> {
    let dir = wallet_dir(&args)?;
    let json_out = args.json;
    let pass_source = PassphraseSource::choose(args.passphrase_file.clone());
    let unlock = |purpose: &str| -> Result<(Wallet, Passphrase)> {
        let pass = pass_source.read(purpose, false)?;
        Ok((Wallet::open(&dir, &pass)?, pass))
    };
    match args.command {
        WalletCommand::Create {
            index,
            show_mnemonic,
            kdf,
        } => {
            let pass = pass_source.read("the new wallet", true)?;
            let m = Mnemonic::generate()?;
            let w = Wallet::create(&dir, &m, index, &pass, kdf.params())?;
            if show_mnemonic {
                eprintln!(
                    "Write these words down and keep them offline:\n{}",
                    m.phrase()
                );
            }
            Ok(Out {
                text: format!("created wallet {} in {}", w.address(), dir.display()),
                json: json!({ "address": w.address(), "dir": dir }),
            })
        }
        WalletCommand::Import {
            mnemonic_file,
            mnemonic_env,
            private_key_file,
            index,
            kdf,
        } => {
            let pass = pass_source.read("the imported wallet", true)?;
            let w = if let Some(f) = private_key_file {
                let text = read_secret_file(&f)?;
                let t = text.expose().trim();
                let bytes = Secret::new(
                    hex::decode(t.strip_prefix("0x").unwrap_or(t))
                        .map_err(|_| Error::InvalidKey)?,
                );
                let arr: &[u8; 32] = bytes
                    .expose()
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::InvalidKey)?;
                Wallet::import_key(&dir, AccountKey::from_bytes(arr)?, &pass, kdf.params())?
            } else {
                let phrase = match (mnemonic_file, mnemonic_env) {
                    (Some(f), _) => read_secret_file(&f)?,
                    (None, Some(var)) => Secret::new(
                        std::env::var(&var)
                            .map_err(|_| Error::InvalidMnemonic(format!("{var} is not set")))?,
                    ),
                    (None, None) => Secret::new(
                        rpassword::prompt_password("Mnemonic: ")
                            .map_err(|e| Error::Passphrase(e.to_string()))?,
                    ),
                };
                let m = Mnemonic::parse(phrase.expose())?;
                Wallet::create(&dir, &m, index, &pass, kdf.params())?
            };
            Ok(Out {
                text: format!("imported wallet {} into {}", w.address(), dir.display()),
                json: json!({ "address": w.address(), "dir": dir }),
            })
        }
        WalletCommand::Address => {
            let s = Wallet::read_state(&dir)?;
            Ok(Out {
                text: s.address.to_string(),
                json: json!({ "address": s.address }),
            })
        }
        WalletCommand::Balance => {
            let s = Wallet::read_state(&dir)?;
            let rows: Vec<_> = s
                .balances()
                .into_iter()
                .map(|(t, (own, pend, exit))| json!({ "token": t, "spendable": own, "pending": pend, "exiting": exit }))
                .collect();
            let mut text = format!("{} (synced to block {})", s.address, s.synced_to);
            for (t, (own, pend, exit)) in s.balances() {
                text.push_str(&format!(
                    "\n  token {t}: {own} spendable, {pend} being spent, {exit} exiting"
                ));
            }
            if s.coins.is_empty() {
                text.push_str("\n  no coins yet: deposit with `debye wallet deposit`");
            }
            Ok(Out {
                text,
                json: json!({ "address": s.address, "syncedTo": s.synced_to, "balances": rows }),
            })
        }
        WalletCommand::Deposit { amount, token, l1 } => {
            let (mut w, _) = unlock("the wallet")?;
            let rpc = RpcL1::connect(&l1.l1_rpc, [w.key().l1_signer()])?;
            let client = DebyeChainClient::at(rpc, l1.anchor);
            let coin = match token {
                None => w.deposit_eth(&client, amount).await?,
                Some(t) => w.deposit_token(&client, t, amount).await?,
            };
            Ok(Out {
                text: format!(
                    "deposited {amount} of token {} as coins {} (spendable from block {})",
                    coin.token(),
                    coin.segment,
                    coin.origin.block
                ),
                json: json!({ "segment": coin.segment, "token": coin.token(), "block": coin.origin.block }),
            })
        }
        WalletCommand::Send {
            to,
            amount,
            token,
            max_block,
            out,
            operator,
            compress,
        } => {
            let (mut w, _) = unlock("the wallet")?;
            let mut p = w.build_payment(to, token, amount, max_block)?;
            write_json(&out, &p)?;
            let submitted = match &operator {
                Some(url) => {
                    w.submit_or_release(&RpcSource::connect(url)?, &p).await?;
                    true
                }
                None => false,
            };
            // After the submission, and best effort: the uncompressed payment is already
            // written and stays valid if the operator serves no span.
            let mut spanned = 0;
            if compress && let Some(url) = &operator {
                let source = RpcSource::connect(url)?;
                for h in &mut p.histories {
                    match source.compress(h).await {
                        Ok(n) => spanned += n,
                        Err(e) => eprintln!("warning: no accumulator span: {e}"),
                    }
                }
                if spanned > 0 {
                    write_json(&out, &p)?;
                }
            }
            Ok(Out {
                text: format!(
                    "signed tx {} paying {amount} to {to}{}; hand {} to the recipient",
                    p.tx_id,
                    if submitted { ", submitted" } else { "" },
                    out.display()
                ),
                json: json!({
                    "txId": p.tx_id,
                    "paid": p.paid,
                    "out": out,
                    "submitted": submitted,
                    "blocksReplacedBySpans": spanned,
                }),
            })
        }
        WalletCommand::Sync {
            operator,
            auto_exit,
            watch,
            l1,
        } => {
            let (mut w, _) = unlock("the wallet")?;
            let client = connect(&w, &l1)?;
            let source = RpcSource::connect(&operator)?;
            if let Some(secs) = watch {
                loop {
                    let r = w.guard(&client, &source, auto_exit).await?;
                    println!("{}", describe_guard(&r, json_out));
                    // The CLI runs nothing else concurrently: a plain sleep between rounds.
                    std::thread::sleep(std::time::Duration::from_secs(secs));
                }
            }
            let r = w.guard(&client, &source, auto_exit).await?;
            Ok(Out {
                text: describe_guard(&r, false),
                json: json!({ "report": r }),
            })
        }
        WalletCommand::Receive {
            history,
            operator,
            l1,
        } => {
            let (mut w, _) = unlock("the wallet")?;
            let histories: Vec<CoinHistory> = match read_json::<Payment>(&history) {
                Ok(p) => p.histories,
                Err(_) => vec![read_json::<CoinHistory>(&history)?],
            };
            let client = connect(&w, &l1)?;
            let source = RpcSource::connect(&operator)?;
            let mut got = Vec::new();
            for h in histories {
                got.extend(
                    w.receive(&client, &source, h)
                        .await?
                        .into_iter()
                        .map(|c| c.segment),
                );
            }
            Ok(Out {
                text: format!("verified and accepted {} range(s): {got:?}", got.len()),
                json: json!({ "received": got }),
            })
        }
        WalletCommand::Swap { step } => match step {
            SwapStep::Offer { give, out } => {
                let (w, _) = unlock("the wallet")?;
                write_json(&out, &w.swap_offer(give)?)?;
                Ok(Out {
                    text: format!("offer of {give} written to {}", out.display()),
                    json: json!({ "give": give, "out": out }),
                })
            }
            SwapStep::Propose {
                give,
                offer,
                max_block,
                out,
                operator,
                l1,
            } => {
                let (mut w, _) = unlock("the wallet")?;
                let offer: SwapOffer = read_json(&offer)?;
                let client = connect(&w, &l1)?;
                w.check_offer(&client, &RpcSource::connect(&operator)?, &offer)
                    .await?;
                let p = w.swap_propose(give, &offer, max_block)?;
                write_json(&out, &p)?;
                Ok(Out {
                    text: format!("signed swap proposal written to {}", out.display()),
                    json: json!({ "out": out }),
                })
            }
            SwapStep::Cosign {
                proposal,
                offer,
                operator,
                l1,
            } => {
                let (mut w, _) = unlock("the wallet")?;
                let proposal: SwapProposal = read_json(&proposal)?;
                let mine: SwapOffer = read_json(&offer)?;
                let client = connect(&w, &l1)?;
                let source = RpcSource::connect(&operator)?;
                w.check_offer(&client, &source, &proposal.offer).await?;
                let signed = w.swap_cosign(&proposal, &mine)?;
                let id = source.submit(signed).await?;
                Ok(Out {
                    text: format!("swap {id} co-signed and submitted"),
                    json: json!({ "txId": id }),
                })
            }
        },
        WalletCommand::History => {
            let s = Wallet::read_state(&dir)?;
            let text = if s.activity.is_empty() {
                "nothing yet".to_owned()
            } else {
                s.activity
                    .iter()
                    .map(|a| serde_json::to_string(a).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Out {
                text,
                json: json!({ "activity": s.activity }),
            })
        }
        WalletCommand::Force { tx, finalize, l1 } => {
            let (mut w, _) = unlock("the wallet")?;
            let client = connect(&w, &l1)?;
            let forced = match tx {
                Some(path) => {
                    let signed = match read_json::<Payment>(&path) {
                        Ok(p) => p.transaction,
                        Err(_) => read_json::<debye_primitives::SignedTransaction>(&path)?,
                    };
                    Some(w.force(&client, &signed).await?)
                }
                None => None,
            };
            let settled = if finalize {
                w.finalize_forced(&client).await?
            } else {
                Vec::new()
            };
            let mut text = Vec::new();
            if let Some(f) = &forced {
                text.push(format!(
                    "forced tx {} as forced transaction {} (bond {} wei), signed on L1",
                    f.tx_id, f.index, f.bond
                ));
                if !f.other_owners.is_empty() {
                    text.push(format!(
                        "other input owners must sign it on L1 before it matures: {:?}",
                        f.other_owners
                    ));
                }
            }
            for o in &settled {
                text.push(format!(
                    "forced transaction {}: {}{}",
                    o.record.index,
                    o.status,
                    o.reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
            }
            Ok(Out {
                text: text.join("\n"),
                json: json!({ "forced": forced, "settled": settled }),
            })
        }
        WalletCommand::Exit {
            start,
            segment,
            answer,
            finalize,
            l1_rpc,
            anchor,
        } => {
            let (mut w, _) = unlock("the wallet")?;
            if !(start || answer || finalize) {
                let claims = w.exit_claims();
                return Ok(Out {
                    text: format!(
                        "{} coin(s) exitable from held data; `--start` starts their exits",
                        claims.len()
                    ),
                    json: json!({ "claims": claims }),
                });
            }
            let (Some(l1_rpc), Some(anchor)) = (l1_rpc, anchor) else {
                return Err(Error::InvalidAmount(
                    "exits need --l1-rpc and --anchor (or DEBYE_L1_RPC, DEBYE_ANCHOR)".into(),
                ));
            };
            let client = connect(&w, &L1Args { l1_rpc, anchor })?;
            let started = if start {
                let only = segment.map(|s| vec![s]);
                w.start_exits(&client, only.as_deref()).await?
            } else {
                Vec::new()
            };
            let answered = if answer {
                w.answer_challenges(&client).await? + w.challenge_exits(&client).await?
            } else {
                0
            };
            let finalized = if finalize {
                w.finalize_exits(&client).await?
            } else {
                Vec::new()
            };
            Ok(Out {
                text: format!(
                    "{} exit(s) started, {answered} challenge(s) answered, {} exit(s) checked: {:?}",
                    started.len(),
                    finalized.len(),
                    finalized
                        .iter()
                        .map(|f| f.status.as_str())
                        .collect::<Vec<_>>()
                ),
                json: json!({ "started": started, "answered": answered, "finalized": finalized }),
            })
        }
        WalletCommand::Backup {
            out,
            backup_passphrase_file,
            kdf,
        } => {
            let (w, pass) = unlock("the wallet")?;
            let bpass = backup_source(backup_passphrase_file).read("the backup", true)?;
            w.backup(&pass, &bpass, kdf.params())?.save(&out)?;
            Ok(Out {
                text: format!(
                    "encrypted backup of {} written to {}",
                    w.address(),
                    out.display()
                ),
                json: json!({ "address": w.address(), "out": out }),
            })
        }
        WalletCommand::Restore {
            from,
            backup_passphrase_file,
            kdf,
        } => {
            let backup = Keystore::load(&from)?;
            let bpass = backup_source(backup_passphrase_file).read("the backup", false)?;
            let pass = pass_source.read("the restored wallet", true)?;
            let w = Wallet::restore(&dir, &backup, &bpass, &pass, kdf.params())?;
            Ok(Out {
                text: format!(
                    "restored {} with {} coin(s) into {}",
                    w.address(),
                    w.state().coins.len(),
                    dir.display()
                ),
                json: json!({ "address": w.address(), "coins": w.state().coins.len(), "dir": dir }),
            })
        }
    }
}
