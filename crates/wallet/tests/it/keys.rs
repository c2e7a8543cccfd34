use debye_wallet::{
    AccountKey, Error, Mnemonic, Passphrase, Wallet, keys::derive_path, keystore::Keystore,
};

use crate::util::TEST_KDF;

const SPEC_KEY: &str = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

/// The scrypt test vector of the Web3 Secret Storage definition, verbatim.
const SPEC_SCRYPT: &str = include_str!("vectors/keystore-v3-scrypt.json");

/// The PBKDF2-SHA-256 test vector of the same definition.
const SPEC_PBKDF2: &str = include_str!("vectors/keystore-v3-pbkdf2.json");

#[test]
fn spec_vectors_decrypt() {
    for vector in [SPEC_SCRYPT, SPEC_PBKDF2] {
        let ks: Keystore = serde_json::from_str(vector).unwrap();
        let key = ks.decrypt(&"testpassword".into()).unwrap();
        assert_eq!(hex::encode(key.expose()), SPEC_KEY);
        // The MAC catches a wrong passphrase before anything is decrypted.
        assert!(matches!(
            ks.decrypt(&"testpassword!".into()),
            Err(Error::WrongPassphrase)
        ));
    }
}

#[test]
fn keystore_round_trip_and_tamper() {
    let key = AccountKey::from_bytes(&[0x42; 32]).unwrap();
    let pass: Passphrase = "hunter2 but longer".into();
    let ks = Keystore::encrypt(
        key.to_bytes().expose(),
        &pass,
        TEST_KDF,
        Some(key.address()),
    )
    .unwrap();
    assert_eq!(ks.version, 3);
    assert_eq!(
        ks.address.as_deref(),
        Some(hex::encode(key.address()).as_str())
    );
    let json = serde_json::to_string(&ks).unwrap();
    assert!(
        !json.contains(&hex::encode([0x42; 32])),
        "plaintext key in keystore"
    );
    let back: Keystore = serde_json::from_str(&json).unwrap();
    assert_eq!(back.decrypt_key(&pass).unwrap().address(), key.address());
    // Flip one ciphertext nibble: the MAC no longer matches.
    let mut bad = back.clone();
    let mut ct = bad.crypto.ciphertext.into_bytes();
    ct[0] = if ct[0] == b'0' { b'1' } else { b'0' };
    bad.crypto.ciphertext = String::from_utf8(ct).unwrap();
    assert!(matches!(bad.decrypt(&pass), Err(Error::WrongPassphrase)));
    let mut unknown = back;
    unknown.crypto.kdf = "argon2".into();
    assert!(matches!(
        unknown.decrypt(&pass),
        Err(Error::KeystoreUnsupported { what: "kdf", .. })
    ));
}

#[test]
fn bip39_bip32_well_known_address() {
    let m = Mnemonic::parse(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    // The address every Ethereum wallet derives for this mnemonic at m/44'/60'/0'/0/0.
    assert_eq!(
        m.account_key(0).unwrap().address().to_string(),
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    );
    // BIP-39 seed vector (Trezor vectors use the password "TREZOR").
    assert_eq!(
        hex::encode(m.seed("TREZOR").unwrap().expose()),
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e5349553\
         1f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    );
    // BIP-32 test vector 1, chain m/0'/1/2'/2/1000000000.
    let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
    assert_eq!(
        hex::encode(
            derive_path(&seed, "m/0'/1/2'/2/1000000000")
                .unwrap()
                .expose()
        ),
        "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8"
    );
    assert!(matches!(
        Mnemonic::parse(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon"
        ),
        Err(Error::InvalidMnemonic(_))
    ));
    assert!(matches!(
        Mnemonic::parse("hello world"),
        Err(Error::InvalidMnemonic(_))
    ));
}

#[test]
fn wallet_files_hold_no_plaintext_secret() {
    let dir = tempfile::tempdir().unwrap();
    let wdir = dir.path().join("w");
    let m = Mnemonic::from_entropy(&[7; 16]).unwrap();
    let pass: Passphrase = "pass phrase".into();
    let w = Wallet::create(&wdir, &m, 3, &pass, TEST_KDF).unwrap();
    assert_eq!(w.address(), m.account_key(3).unwrap().address());
    let key_hex = hex::encode(w.key().to_bytes().expose());
    for f in ["keystore.json", "mnemonic.json", "wallet.json"] {
        let text = std::fs::read_to_string(wdir.join(f)).unwrap();
        assert!(!text.contains(&key_hex), "{f} holds the key");
        assert!(
            !text.contains(m.phrase().split(' ').next().unwrap_or("x")) || f != "mnemonic.json"
        );
    }
    assert!(!format!("{w:?}").contains(&key_hex), "Debug leaks the key");
    assert!(matches!(
        Wallet::open(&wdir, &"nope".into()),
        Err(Error::WrongPassphrase)
    ));
    assert_eq!(Wallet::open(&wdir, &pass).unwrap().address(), w.address());
    assert!(matches!(
        Wallet::create(&wdir, &m, 3, &pass, TEST_KDF),
        Err(Error::AlreadyExists(_))
    ));
}
