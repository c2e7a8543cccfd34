//! The shielded address as people copy it: `dbs1…`, bech32m (BIP-350) over
//! `version (1) ‖ owner (32, big-endian field element) ‖ viewing public key (32)`.
//!
//! Why bech32m and not hex: one case-insensitive alphabet without look-alike characters, a
//! human-readable prefix that says "Debye shielded" (so an L1 address or a transparent Debye
//! address is not pasted by mistake), and a BCH checksum that detects any error in up to four
//! characters within its 89-character design length and a random corruption with probability
//! 1 − 2^-30 beyond it (a `dbs1` address is 114 characters). The 20-byte checksummed hex of
//! EIP-55 only covers letters' case, and only of 40 characters.

use std::{fmt, str::FromStr};

use ark_ff::{BigInteger, PrimeField};
use debye_zk::{Fr, keys::ShieldedAddress};

use crate::error::{Error, Result};

/// The human-readable part of a shielded address.
pub const HRP: &str = "dbs";
/// The payload version this wallet writes and reads.
pub const ADDRESS_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 32 + 32;
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONST: u32 = 0x2bc8_30a3;

/// A shielded address, printable as `dbs1…` and parsed back with [`FromStr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivateAddress(pub ShieldedAddress);

fn polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> Vec<u8> {
    let b = hrp.as_bytes();
    b.iter()
        .map(|c| c >> 5)
        .chain([0])
        .chain(b.iter().map(|c| c & 31))
        .collect()
}

/// Regroups bits (8 → 5 with padding, or 5 → 8 without); `None` on non-zero or excess padding.
fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let (mut acc, mut bits) = (0u32, 0u32);
    let maxv = (1u32 << to) - 1;
    let mut out = Vec::with_capacity(data.len() * from as usize / to as usize + 1);
    for &v in data {
        acc = (acc << from) | u32::from(v);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

/// Bech32m encoding of `data` (bytes) under `hrp` (lower case).
pub fn bech32m_encode(hrp: &str, data: &[u8]) -> String {
    let five = convert_bits(data, 8, 5, true).unwrap_or_default();
    let mut values = hrp_expand(hrp);
    values.extend_from_slice(&five);
    values.extend_from_slice(&[0; 6]);
    let pm = polymod(values) ^ BECH32M_CONST;
    let mut s = String::with_capacity(hrp.len() + 1 + five.len() + 6);
    s.push_str(hrp);
    s.push('1');
    for v in five
        .iter()
        .copied()
        .chain((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8))
    {
        s.push(CHARSET[v as usize] as char);
    }
    s
}

fn bad(input: &str, reason: impl Into<String>) -> Error {
    Error::InvalidPrivateAddress {
        input: input.chars().take(16).collect(),
        reason: reason.into(),
    }
}

/// Decodes a bech32m string: `(hrp, bytes)`. Mixed case, unknown characters, a bad checksum or
/// bad padding are refused.
pub fn bech32m_decode(s: &str) -> Result<(String, Vec<u8>)> {
    if s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad(s, "mixed upper and lower case"));
    }
    let lower = s.to_ascii_lowercase();
    let sep = lower.rfind('1').ok_or_else(|| bad(s, "no '1' separator"))?;
    let (hrp, rest) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || rest.len() < 6 {
        return Err(bad(s, "too short"));
    }
    if !hrp.bytes().all(|c| (33..=126).contains(&c)) {
        return Err(bad(s, "invalid prefix characters"));
    }
    let values = rest
        .bytes()
        .map(|c| {
            CHARSET
                .iter()
                .position(|&x| x == c)
                .map(|p| p as u8)
                .ok_or_else(|| {
                    bad(
                        s,
                        format!("character {:?} is not in the bech32 alphabet", c as char),
                    )
                })
        })
        .collect::<Result<Vec<u8>>>()?;
    let mut check = hrp_expand(hrp);
    check.extend_from_slice(&values);
    if polymod(check) != BECH32M_CONST {
        return Err(bad(
            s,
            "checksum mismatch (a character is mistyped or missing)",
        ));
    }
    let data = convert_bits(&values[..values.len() - 6], 5, 8, false)
        .ok_or_else(|| bad(s, "invalid padding"))?;
    Ok((hrp.to_owned(), data))
}

fn fr_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

impl fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut payload = Vec::with_capacity(PAYLOAD_LEN);
        payload.push(ADDRESS_VERSION);
        payload.extend_from_slice(&fr_bytes(&self.0.owner));
        payload.extend_from_slice(&self.0.viewing_public);
        f.write_str(&bech32m_encode(HRP, &payload))
    }
}

impl FromStr for PrivateAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let (hrp, data) = bech32m_decode(s)?;
        if hrp != HRP {
            return Err(bad(s, format!("prefix {hrp:?}, expected {HRP:?}")));
        }
        if data.len() != PAYLOAD_LEN {
            return Err(bad(
                s,
                format!("{} payload bytes, expected {PAYLOAD_LEN}", data.len()),
            ));
        }
        if data[0] != ADDRESS_VERSION {
            return Err(bad(
                s,
                format!(
                    "address version {}, this wallet reads {ADDRESS_VERSION}",
                    data[0]
                ),
            ));
        }
        let owner_bytes = &data[1..33];
        let owner = Fr::from_be_bytes_mod_order(owner_bytes);
        if fr_bytes(&owner) != owner_bytes {
            return Err(bad(s, "owner is not a field element"));
        }
        let mut viewing_public = [0u8; 32];
        viewing_public.copy_from_slice(&data[33..]);
        Ok(Self(ShieldedAddress {
            owner,
            viewing_public,
        }))
    }
}

impl serde::Serialize for PrivateAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PrivateAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip350_vectors() {
        // Valid bech32m strings from BIP-350.
        for v in [
            "A1LQFN3A",
            "a1lqfn3a",
            "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
            "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
            "?1v759aa",
        ] {
            let (hrp, data) = bech32m_decode(v).unwrap();
            let again = bech32m_encode(&hrp, &data);
            assert_eq!(again, v.to_ascii_lowercase(), "{v}");
        }
        // Invalid: bech32 (not m) checksum, mixed case, bad character.
        for v in ["a12uel5l", "A1lqfn3a", "a1lqfn3b", "abc1bqfn3a"] {
            assert!(bech32m_decode(v).is_err(), "{v}");
        }
    }

    #[test]
    fn round_trip_and_typed_errors() {
        let keys = debye_zk::keys::Keys::from_seed([7; 32]).unwrap();
        let a = PrivateAddress(keys.address());
        let s = a.to_string();
        assert!(s.starts_with("dbs1"));
        assert_eq!(s.len(), 114);
        assert_eq!(s.parse::<PrivateAddress>().unwrap(), a);
        assert_eq!(s.to_uppercase().parse::<PrivateAddress>().unwrap(), a);
        // One changed character.
        let mut bad = s.clone().into_bytes();
        bad[20] = if bad[20] == b'q' { b'p' } else { b'q' };
        let e = String::from_utf8(bad)
            .unwrap()
            .parse::<PrivateAddress>()
            .unwrap_err();
        assert_eq!(e.code(), "InvalidPrivateAddress");
        assert!(e.to_string().contains("checksum"), "{e}");
        assert!(e.hint().is_some());
        // An L1 address.
        let e = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            .parse::<PrivateAddress>()
            .unwrap_err();
        assert_eq!(e.code(), "InvalidPrivateAddress");
        // Another prefix with a valid checksum.
        let other = bech32m_encode("bc", &[1; 65]);
        assert!(
            other
                .parse::<PrivateAddress>()
                .unwrap_err()
                .to_string()
                .contains("prefix")
        );
        // Owner at or above the field modulus.
        let mut payload = vec![ADDRESS_VERSION];
        payload.extend_from_slice(&[0xff; 64]);
        let e = bech32m_encode(HRP, &payload)
            .parse::<PrivateAddress>()
            .unwrap_err();
        assert!(e.to_string().contains("field element"), "{e}");
    }
}
