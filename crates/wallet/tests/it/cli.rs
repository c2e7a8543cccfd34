//! The `debye wallet` command tree, run in-process with files for secrets.

use clap::Parser;
use debye_wallet::{Wallet, cli::WalletArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    wallet: WalletArgs,
}

async fn run(args: &[&str]) -> i32 {
    let cli = Cli::try_parse_from(std::iter::once("wallet").chain(args.iter().copied())).unwrap();
    debye_wallet::cli::run(cli.wallet).await
}

/// Runs `args` on the wallet in `dir`, unlocked with the passphrase in file `pw`.
async fn run_in(dir: &str, pw: &str, args: &[&str]) -> i32 {
    let mut all = vec!["--wallet", dir, "--passphrase-file", pw];
    all.extend_from_slice(args);
    run(&all).await
}

/// `backup --out FILE` or `restore --from FILE`, with the backup passphrase in file `bpw`.
fn backup_args<'a>(cmd: &'a str, flag: &'a str, file: &'a str, bpw: &'a str) -> [&'a str; 7] {
    [
        cmd,
        flag,
        file,
        "--backup-passphrase-file",
        bpw,
        "--kdf",
        "light",
    ]
}

#[tokio::test]
async fn create_import_backup_restore_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    std::fs::write(p("pw"), "first pass\n").unwrap();
    std::fs::write(p("bpw"), "backup pass\n").unwrap();
    std::fs::write(p("bad"), "not it\n").unwrap();
    std::fs::write(
        p("words"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n",
    )
    .unwrap();
    let (a, b) = (p("a"), p("b"));
    let pw = p("pw");
    assert_eq!(
        run_in(
            &a,
            &pw,
            &["import", "--mnemonic-file", &p("words"), "--kdf", "light"]
        )
        .await,
        0
    );
    let state = Wallet::read_state(std::path::Path::new(&a)).unwrap();
    assert_eq!(
        state.address.to_string(),
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    assert_eq!(run(&["--wallet", &a, "balance", "--json"]).await, 0);
    // A second create in the same directory is refused; a wrong passphrase is an error.
    assert_eq!(run_in(&a, &pw, &["create", "--kdf", "light"]).await, 1);
    assert_eq!(run_in(&a, &p("bad"), &["exit"]).await, 1);
    assert_eq!(run_in(&a, &pw, &["exit", "--json"]).await, 0);
    // Backup, then restore elsewhere: same address, same store.
    let bak = p("a.bak");
    let (bad, good) = (p("bad"), p("bpw"));
    let backup = backup_args("backup", "--out", &bak, &good);
    assert_eq!(run_in(&a, &pw, &backup).await, 0);
    assert_eq!(
        run_in(&b, &pw, &backup_args("restore", "--from", &bak, &bad)).await,
        1,
        "wrong backup passphrase"
    );
    assert_eq!(
        run_in(&b, &pw, &backup_args("restore", "--from", &bak, &good)).await,
        0
    );
    assert_eq!(Wallet::read_state(std::path::Path::new(&b)).unwrap(), state);
    // Secrets are never command-line arguments.
    assert!(Cli::try_parse_from(["wallet", "import", "--mnemonic", "abandon"]).is_err());
}

#[tokio::test]
async fn private_address_notes_and_send_private_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    std::fs::write(p("pw"), "first pass\n").unwrap();
    std::fs::write(
        p("words"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n",
    )
    .unwrap();
    let (a, pw) = (p("a"), p("pw"));
    let args = ["import", "--mnemonic-file", &p("words"), "--kdf", "light"];
    assert_eq!(run_in(&a, &pw, &args).await, 0);
    // The address printed needs no passphrase and is the mnemonic's shielded address.
    assert_eq!(run(&["--wallet", &a, "address", "--private"]).await, 0);
    let state = Wallet::read_state(std::path::Path::new(&a)).unwrap();
    let addr = state.shielded.address.unwrap();
    let m = debye_wallet::Mnemonic::parse(&std::fs::read_to_string(p("words")).unwrap()).unwrap();
    let keys = debye_zk::keys::Keys::from_bip39_seed(m.seed("").unwrap().expose()).unwrap();
    assert_eq!(addr.0, keys.address());
    assert_eq!(
        run(&["--wallet", &a, "address", "--private", "--json"]).await,
        0
    );
    assert_eq!(run(&["--wallet", &a, "notes"]).await, 0);
    assert_eq!(run(&["--wallet", &a, "balance"]).await, 0);
    let send = |to: String| {
        let (a, pw, out) = (a.clone(), pw.clone(), p("t.json"));
        async move {
            let args = [
                "send",
                "--private",
                &to,
                "0.5",
                "--chain-id",
                "31337",
                "--pool",
                "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                "--out",
                &out,
            ];
            run_in(&a, &pw, &args).await
        }
    };
    // A mistyped address: typed error (status 1), nothing written.
    let mut bad = addr.to_string();
    bad.replace_range(10..11, if &bad[10..11] == "q" { "p" } else { "q" });
    assert_eq!(send(bad).await, 1);
    // No notes yet: refused before any proving.
    assert_eq!(send(addr.to_string()).await, 1);
    assert!(!std::path::Path::new(&p("t.json")).exists());
    // Without --out it submits (`--out` is no longer required with --private), so it needs an
    // operator: refused before anything is proven or marked.
    let no_operator = [
        "send",
        "--private",
        &addr.to_string(),
        "0.5",
        "--chain-id",
        "31337",
        "--pool",
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    ];
    assert_eq!(run_in(&a, &pw, &no_operator).await, 1);
    let state = Wallet::read_state(std::path::Path::new(&a)).unwrap();
    assert!(state.shielded.notes.is_empty());
}

/// `exit --private` and `relay` refuse bad input before any L1 call: no destination for the
/// proof (neither `--out` nor `--submit`), a relay request of the wrong kind or version.
/// Option combinations the parser refuses: `--note` without `--private`, `--private` with
/// `--start`.
#[tokio::test]
async fn private_exit_and_relay_refuse_bad_input_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    std::fs::write(p("pw"), "first pass\n").unwrap();
    std::fs::write(
        p("words"),
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about\n",
    )
    .unwrap();
    let (a, pw) = (p("a"), p("pw"));
    let args = ["import", "--mnemonic-file", &p("words"), "--kdf", "light"];
    assert_eq!(run_in(&a, &pw, &args).await, 0);
    let l1 = [
        "--l1-rpc",
        "http://127.0.0.1:9",
        "--anchor",
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    ];
    let to = "0x9999999999999999999999999999999999999999";
    let nowhere = [&["exit", "--private", "--note", "0", "--to", to][..], &l1].concat();
    assert_eq!(run_in(&a, &pw, &nowhere).await, 1);
    let req = p("req.json");
    for bad in [
        r#"{"kind":"something else","version":1}"#,
        r#"{"kind":"debye/shielded/exit-relay","version":2,"chainId":1,"pool":"0x5FbDB2315678afecb367f032d93F642f64180aa3","rootBlock":1,"exit":{}}"#,
    ] {
        std::fs::write(&req, bad).unwrap();
        let relay = [&["relay", req.as_str()][..], &l1].concat();
        assert_eq!(run_in(&a, &pw, &relay).await, 1);
    }
    assert!(Cli::try_parse_from(["wallet", "exit", "--note", "0"]).is_err());
    assert!(Cli::try_parse_from(["wallet", "exit", "--private", "--start"]).is_err());
    let state = Wallet::read_state(std::path::Path::new(&a)).unwrap();
    assert!(state.activity.is_empty());
}
