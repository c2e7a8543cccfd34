//! The status endpoint: JSON-RPC over HTTP, one method, `watcher_status`, answering
//! [`Status`] as last published by the service loop.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use jsonrpsee::{
    RpcModule,
    server::{Server, ServerHandle},
    types::ErrorObjectOwned,
};

use crate::{Error, Result, Status};

/// The status the endpoint serves; the service replaces it after every round.
pub type SharedStatus = Arc<Mutex<Status>>;

/// Starts the endpoint on `addr` (port 0: any free port); returns its handle and address.
pub async fn serve_status(
    addr: SocketAddr,
    status: SharedStatus,
) -> Result<(ServerHandle, SocketAddr)> {
    let err = |e: &dyn std::fmt::Display| Error::Config(format!("status endpoint: {e}"));
    let mut module = RpcModule::new(status);
    module
        .register_method("watcher_status", |_, ctx: &SharedStatus, _| {
            ctx.lock()
                .map(|s| s.clone())
                .map_err(|_| ErrorObjectOwned::owned(-32603, "status unavailable", None::<()>))
        })
        .map_err(|e| err(&e))?;
    let server = Server::builder().build(addr).await.map_err(|e| err(&e))?;
    let local = server.local_addr().map_err(|e| err(&e))?;
    Ok((server.start(module), local))
}
