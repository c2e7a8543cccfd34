//! Fixed binary layouts of the stored records. Integers are big-endian; `U256` is 32 bytes.

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{BlockHeader, Codec, Segment, SignedTransaction};

use crate::{
    Error, Result,
    store::{AccumulatorStep, DepositEntry, DropReason, ExitEntry, Origin, RangeRecord, TxStatus},
};

/// A cursor over a stored value that fails with [`Error::Corrupt`] instead of panicking.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    table: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], table: &'static str) -> Self {
        Self { bytes, table }
    }

    fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            table: self.table,
            reason: reason.into(),
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(self.corrupt(format!("truncated: need {n} bytes")));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub(crate) fn u256(&mut self) -> Result<U256> {
        Ok(U256::from_be_bytes::<32>(self.array()?))
    }
    pub(crate) fn b256(&mut self) -> Result<B256> {
        Ok(B256::from(self.array::<32>()?))
    }
    pub(crate) fn address(&mut self) -> Result<Address> {
        Ok(Address::from(self.array::<20>()?))
    }
    pub(crate) fn segment(&mut self, start: U256) -> Result<Segment> {
        let end = self.u256()?;
        Segment::new(start, end).map_err(|e| self.corrupt(e.to_string()))
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }
    pub(crate) fn finish(&self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt("trailing bytes"))
        }
    }
    pub(crate) fn signed_tx(&mut self) -> Result<SignedTransaction> {
        let bytes = self.rest();
        SignedTransaction::decode(bytes).map_err(|e| self.corrupt(e.to_string()))
    }
    pub(crate) fn header(&mut self) -> Result<BlockHeader> {
        let bytes = self.rest();
        BlockHeader::decode(bytes).map_err(|e| self.corrupt(e.to_string()))
    }
}

pub(crate) fn u256_key(v: U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

/// Tag 0: a deposit (block, then five zero bytes); tag 1: a transaction output (block, tx index,
/// output index). The layout predates the shared [`Origin`] type and is kept byte for byte.
fn origin_bytes(out: &mut Vec<u8>, origin: &Origin) {
    if origin.is_deposit() {
        out.push(0);
        out.extend_from_slice(&origin.block.to_be_bytes());
        out.extend_from_slice(&[0; 5]);
    } else {
        out.push(1);
        out.extend_from_slice(&origin.block.to_be_bytes());
        out.extend_from_slice(&origin.tx_index.to_be_bytes());
        out.push(origin.output_index);
    }
}

fn read_origin(r: &mut Reader<'_>) -> Result<Origin> {
    let tag = r.u8()?;
    let block = r.u64()?;
    let tx_index = r.u32()?;
    let output_index = r.u8()?;
    match tag {
        0 => Ok(Origin::deposit(block)),
        1 => Ok(Origin::tx(block, tx_index, output_index)),
        t => Err(r.corrupt(format!("origin tag {t}"))),
    }
}

/// A row keyed by its segment's start: the value opens with the end, `read` takes the rest, and
/// nothing may follow.
fn decode_segment_row<T>(
    table: &'static str,
    start: &[u8; 32],
    bytes: &[u8],
    read: impl FnOnce(Segment, &mut Reader<'_>) -> Result<T>,
) -> Result<T> {
    let mut r = Reader::new(bytes, table);
    let segment = r.segment(U256::from_be_bytes(*start))?;
    let row = read(segment, &mut r)?;
    r.finish()?;
    Ok(row)
}

/// The value of a row keyed by `segment`'s start: end ‖ `fields`.
fn segment_row(segment: &Segment, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + fields.iter().map(|f| f.len()).sum::<usize>());
    out.extend_from_slice(&u256_key(segment.end()));
    for f in fields {
        out.extend_from_slice(f);
    }
    out
}

/// Range record value (the key is the start): end ‖ owner ‖ origin ‖ exited.
pub(crate) fn encode_range(rec: &RangeRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(67);
    out.extend_from_slice(&u256_key(rec.segment.end()));
    out.extend_from_slice(rec.owner.as_slice());
    origin_bytes(&mut out, &rec.origin);
    out.push(u8::from(rec.exited));
    out
}

pub(crate) fn decode_range(start: &[u8; 32], bytes: &[u8]) -> Result<RangeRecord> {
    decode_segment_row("ranges", start, bytes, |segment, r| {
        Ok(RangeRecord {
            segment,
            owner: r.address()?,
            origin: read_origin(r)?,
            exited: r.u8()? != 0,
        })
    })
}

/// Transaction status: tag ‖ fields.
pub(crate) fn encode_status(s: &TxStatus) -> Vec<u8> {
    let mut out = Vec::with_capacity(13);
    match *s {
        TxStatus::Pending { seq } => {
            out.push(0);
            out.extend_from_slice(&seq.to_be_bytes());
        }
        TxStatus::Included { block, index } => {
            out.push(1);
            out.extend_from_slice(&block.to_be_bytes());
            out.extend_from_slice(&index.to_be_bytes());
        }
        TxStatus::Dropped { reason } => {
            out.push(2);
            out.push(match reason {
                DropReason::Expired => 0,
                DropReason::Exited => 1,
                DropReason::Forced => 2,
            });
        }
    }
    out
}

pub(crate) fn decode_status(bytes: &[u8]) -> Result<TxStatus> {
    let mut r = Reader::new(bytes, "tx_status");
    let s = match r.u8()? {
        0 => TxStatus::Pending { seq: r.u64()? },
        1 => TxStatus::Included {
            block: r.u64()?,
            index: r.u32()?,
        },
        2 => TxStatus::Dropped {
            reason: match r.u8()? {
                0 => DropReason::Expired,
                1 => DropReason::Exited,
                2 => DropReason::Forced,
                t => return Err(r.corrupt(format!("drop reason {t}"))),
            },
        },
        t => return Err(r.corrupt(format!("status tag {t}"))),
    };
    r.finish()?;
    Ok(s)
}

/// Transaction value: id ‖ canonical ABI encoding.
pub(crate) fn encode_tx(id: &B256, tx: &SignedTransaction) -> Vec<u8> {
    let enc = tx.encode();
    let mut out = Vec::with_capacity(32 + enc.len());
    out.extend_from_slice(id.as_slice());
    out.extend_from_slice(&enc);
    out
}

pub(crate) fn decode_tx(bytes: &[u8], table: &'static str) -> Result<(B256, SignedTransaction)> {
    let mut r = Reader::new(bytes, table);
    let id = r.b256()?;
    Ok((id, r.signed_tx()?))
}

/// Deposit value (key = start): end ‖ owner ‖ block ‖ l1 block.
pub(crate) fn encode_deposit(d: &DepositEntry) -> Vec<u8> {
    segment_row(
        &d.segment,
        &[
            d.owner.as_slice(),
            &d.block.to_be_bytes(),
            &d.l1_block.to_be_bytes(),
        ],
    )
}

pub(crate) fn decode_deposit(start: &[u8; 32], bytes: &[u8]) -> Result<DepositEntry> {
    decode_segment_row("deposits", start, bytes, |segment, r| {
        Ok(DepositEntry {
            segment,
            owner: r.address()?,
            block: r.u64()?,
            l1_block: r.u64()?,
        })
    })
}

/// Exit value (key = start): end ‖ l1 block.
pub(crate) fn encode_exit(e: &ExitEntry) -> Vec<u8> {
    segment_row(&e.segment, &[&e.l1_block.to_be_bytes()])
}

pub(crate) fn decode_exit(start: &[u8; 32], bytes: &[u8]) -> Result<ExitEntry> {
    decode_segment_row("exits", start, bytes, |segment, r| {
        Ok(ExitEntry {
            segment,
            l1_block: r.u64()?,
        })
    })
}

pub(crate) fn encode_acc_step(step: &AccumulatorStep) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + step.value.len() + step.product.len());
    // Element lengths are fixed by the group (256 bytes), so the u32 cannot overflow.
    v.extend_from_slice(
        &u32::try_from(step.value.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    v.extend_from_slice(&step.value);
    v.extend_from_slice(&step.product);
    v
}

pub(crate) fn decode_acc_step(bytes: &[u8]) -> Result<AccumulatorStep> {
    let mut r = Reader::new(bytes, "acc_steps");
    let len = r.u32()? as usize;
    let value = r.take(len)?.to_vec();
    let product = r.rest().to_vec();
    Ok(AccumulatorStep { value, product })
}
