//! Plasma Prime data model: coin ranges, EIP-712 transactions, sum Merkle trees and block headers.
