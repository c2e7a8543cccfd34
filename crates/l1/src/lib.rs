//! L1 access for Debye: contract bindings and one trait over an embedded EVM and JSON-RPC.
