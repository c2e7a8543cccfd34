//! Serde helpers: integers as `0x`-prefixed hex quantities, signatures as 65-byte hex strings.

/// Unsigned integers as minimal `0x`-hex strings (`"0x0"`, `"0xffffffff"`), like Ethereum JSON-RPC
/// quantities. Deserialization accepts only that form (no leading zeros).
pub(crate) mod quantity {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(crate) fn serialize<T, S>(value: &T, s: S) -> Result<S::Ok, S::Error>
    where
        T: Copy + Into<u64>,
        S: Serializer,
    {
        s.serialize_str(&format!("{:#x}", (*value).into()))
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: TryFrom<u64>,
        D: Deserializer<'de>,
    {
        let s = String::deserialize(d)?;
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom("expected 0x-hex quantity"))?;
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return Err(D::Error::custom("non-minimal hex quantity"));
        }
        let v = u64::from_str_radix(digits, 16).map_err(D::Error::custom)?;
        T::try_from(v).map_err(|_| D::Error::custom("quantity out of range"))
    }
}
