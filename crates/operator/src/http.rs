//! The API's HTTP front: our own accept loop in front of jsonrpsee's service.
//!
//! Threat (issue 13, finding 6): jsonrpsee's own server starts no clock on a request whose body
//! never finishes, and counts such requests against `max_connections`; about a thousand stalled
//! clients made it answer every other client HTTP 429 for as long as they cared to stall. Here:
//!
//! - each connection takes a slot: at most `rpc.max_connections` in all and
//!   `rpc.max_connections_per_ip` per client address (IPv6: per /64); one beyond is closed at once;
//! - a request's headers must arrive within `rpc.read_timeout_ms` (hyper's header timer, which
//!   also runs while a kept-alive connection idles: an idle connection is closed after it, as
//!   Apache's `KeepAliveTimeout` of 5 s does), then its body within the same time again (read
//!   here, before jsonrpsee sees the request; HTTP 408 and close otherwise);
//! - both kinds of drop are counted (`debye_rpc_connections_refused_total`,
//!   `debye_rpc_read_timeouts_total`, which leaves out idle kept-alive connections) and logged
//!   once a minute as a sum, never one line each.
//!
//! It also answers `GET /health` and, when `rpc.cors_origins` lists origins, CORS. HTTP/1.1 only.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request, StatusCode,
    body::{Bytes, Incoming},
    header::{self, HeaderValue},
};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use jsonrpsee::{
    core::BoxError,
    server::{
        HttpBody, HttpResponse, Methods, ServerHandle, StopHandle, TowerService,
        TowerServiceBuilder, stop_channel,
    },
};
use tokio::net::{TcpListener, TcpStream};
use tower::{Service, ServiceBuilder, layer::util::Identity};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::{debug, warn};

use crate::{Error, Result, metrics::Metrics, rpc::RpcLayers, state::NodeState};

/// The jsonrpsee service the RPC middleware stack builds.
type Rpc = TowerService<RpcLayers, Identity>;

/// How often dropped connections are summed up in the log.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// After an accept error (e.g. out of file descriptors), wait this long rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What every connection shares.
struct Front {
    state: Arc<NodeState>,
    builder: TowerServiceBuilder<RpcLayers, Identity>,
    methods: Methods,
    cors: Option<CorsLayer>,
    slots: Arc<Slots>,
    read_timeout: Duration,
    max_request_bytes: usize,
}

/// Binds `rpc_addr` and serves jsonrpsee's service (`builder` over `methods`) behind the front;
/// the handle stops it (in-flight requests get `read_timeout_ms` to finish).
pub(crate) async fn serve(
    state: Arc<NodeState>,
    builder: TowerServiceBuilder<RpcLayers, Identity>,
    methods: Methods,
) -> Result<(ServerHandle, SocketAddr)> {
    let limits = &state.config().rpc;
    let cors = cors(&limits.cors_origins)?;
    let slots = Arc::new(Slots {
        max_total: limits.max_connections as usize,
        max_per_ip: limits.max_connections_per_ip as usize,
        open: Mutex::default(),
    });
    let listener = TcpListener::bind(state.config().rpc_addr).await?;
    let addr = listener.local_addr()?;
    let front = Arc::new(Front {
        read_timeout: state.config().rpc_read_timeout(),
        max_request_bytes: limits.max_request_bytes as usize,
        state,
        builder,
        methods,
        cors,
        slots,
    });
    let (stop, handle) = stop_channel();
    tokio::spawn(report_drops(front.state.metrics().clone(), stop.clone()));
    tokio::spawn(accept_loop(listener, front, stop));
    Ok((handle, addr))
}

/// The CORS layer for the configured origins (`None`: no CORS).
fn cors(origins: &[String]) -> Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Config(format!("rpc.cors_origins: {e}")))?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::POST, Method::GET])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3_600)),
    ))
}

async fn accept_loop(listener: TcpListener, front: Arc<Front>, stop: StopHandle) {
    let stopped = stop.clone().shutdown();
    tokio::pin!(stopped);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut stopped => break,
        };
        match accepted {
            Ok((socket, peer)) => match front.slots.take(peer.ip()) {
                Some(slot) => {
                    tokio::spawn(connection(front.clone(), socket, peer, slot, stop.clone()));
                }
                None => {
                    // Closed unread: the client sees a reset.
                    front
                        .state
                        .metrics()
                        .rpc_connections_refused
                        .fetch_add(1, Ordering::Relaxed);
                    drop(socket);
                }
            },
            Err(e) => {
                debug!(error = %e, "API accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    // The node's state before the stop handles (see `connection`).
    drop(listener);
    drop(front);
}

/// Serves one connection until the client closes it, a read times out, or the server stops.
async fn connection(
    front: Arc<Front>,
    socket: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    stop: StopHandle,
) {
    let _ = socket.set_nodelay(true);
    let rpc = front
        .builder
        .clone()
        .build(front.methods.clone(), stop.clone());
    // Whether a request head arrived: a header timeout after one is a kept-alive connection
    // left idle (closed all the same, but not counted as a stalled client).
    let requested = Arc::new(AtomicBool::new(false));
    let seen = requested.clone();
    let handler = {
        let front = front.clone();
        tower::service_fn(move |req| request(front.clone(), rpc.clone(), req))
    };
    let service = ServiceBuilder::new()
        .map_request(move |req: Request<Incoming>| {
            seen.store(true, Ordering::Relaxed);
            req
        })
        .option_layer(front.cors.clone())
        .service(handler);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(front.read_timeout);
    let mut conn =
        Box::pin(http.serve_connection(TokioIo::new(socket), TowerToHyperService::new(service)));
    let stopped = stop.shutdown();
    tokio::pin!(stopped);
    let served = tokio::select! {
        r = conn.as_mut() => r,
        () = &mut stopped => {
            conn.as_mut().graceful_shutdown();
            tokio::time::timeout(front.read_timeout, conn.as_mut())
                .await
                .unwrap_or(Ok(()))
        }
    };
    if let Err(e) = served {
        if e.is_timeout() && !requested.load(Ordering::Relaxed) {
            front
                .state
                .metrics()
                .rpc_read_timeouts
                .fetch_add(1, Ordering::Relaxed);
        }
        debug!(%peer, error = %e, "API connection closed");
    }
    // The slot first (a client that sees the close may reconnect at once), then the socket and
    // the node's state; this task's stop handle (in `stopped`) last, so that the server counts
    // as stopped only once no connection holds the node's state.
    drop(slot);
    drop(conn);
    drop(front);
}

/// One request: `GET /health` here; anything else to jsonrpsee once its body is in.
async fn request(
    front: Arc<Front>,
    mut rpc: Rpc,
    req: Request<Incoming>,
) -> std::result::Result<HttpResponse, BoxError> {
    if req.method() == Method::GET && req.uri().path() == "/health" {
        return Ok(health(&front.state));
    }
    let (parts, body) = req.into_parts();
    // jsonrpsee refuses other methods and a declared oversized body without reading the body;
    // only a body it will read must arrive in time.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let body = if parts.method == Method::POST
        && declared.is_none_or(|n| n <= front.max_request_bytes as u64)
    {
        match tokio::time::timeout(front.read_timeout, read_body(body, front.max_request_bytes))
            .await
        {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => {
                debug!(error = %e, "API request body unreadable");
                return Ok(closing(
                    StatusCode::BAD_REQUEST,
                    "request body unreadable\n",
                ));
            }
            Err(_) => {
                front
                    .state
                    .metrics()
                    .rpc_read_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                return Ok(closing(
                    StatusCode::REQUEST_TIMEOUT,
                    "request body not received in time\n",
                ));
            }
        }
    } else {
        Bytes::new()
    };
    rpc.call(Request::from_parts(parts, Full::new(body))).await
}

/// Reads a body, stopping once it exceeds `max` bytes (jsonrpsee then refuses it as too large).
async fn read_body(mut body: Incoming, max: usize) -> std::result::Result<Bytes, hyper::Error> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            buf.extend_from_slice(&data);
            if buf.len() > max {
                break;
            }
        }
    }
    Ok(buf.into())
}

/// `GET /health`: 200 `{"status":"ok",...}` while the node accepts transactions, else 503.
fn health(state: &NodeState) -> HttpResponse {
    let up = state.is_accepting();
    let chain = state.status();
    let body = serde_json::json!({
        "status": if up { "ok" } else { "unavailable" },
        "tip": chain.tip,
        "l1Committed": chain.l1_committed,
    });
    let mut resp = HttpResponse::new(HttpBody::from(body.to_string()));
    if !up {
        *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A plain-text answer after which the connection closes.
fn closing(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut resp = HttpResponse::new(HttpBody::from(text));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Logs, once per [`REPORT_EVERY`] in which any happened, how many connections were refused or
/// timed out: a flood of stalled clients costs one line a minute, not one per client.
async fn report_drops(metrics: Arc<Metrics>, stop: StopHandle) {
    let stopped = stop.shutdown();
    tokio::pin!(stopped);
    let mut every = tokio::time::interval(REPORT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let mut seen = (0, 0);
    loop {
        let last = tokio::select! {
            _ = every.tick() => false,
            () = &mut stopped => true,
        };
        let now = (
            read(&metrics.rpc_connections_refused),
            read(&metrics.rpc_read_timeouts),
        );
        if now != seen {
            warn!(
                refused = now.0 - seen.0,
                timed_out = now.1 - seen.1,
                "API connections dropped: connection caps reached (rpc.max_connections, \
                 rpc.max_connections_per_ip) or requests not sent within rpc.read_timeout_ms"
            );
            seen = now;
        }
        if last {
            break;
        }
    }
}

/// Open connections, in all and per client.
struct Slots {
    max_total: usize,
    max_per_ip: usize,
    /// Open connections in all, and per client key.
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open connection's place in [`Slots`]; given back on drop.
struct Slot {
    slots: Arc<Slots>,
    client: IpAddr,
}

impl Slots {
    /// A slot for a connection from `ip`, if both caps allow one.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let client = client_key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, per_client) = &mut *open;
        let mine = per_client.entry(client).or_insert(0);
        if *total >= self.max_total || *mine >= self.max_per_ip {
            if *mine == 0 {
                per_client.remove(&client);
            }
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Slot {
            slots: self.clone(),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (total, per_client) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(mine) = per_client.get_mut(&self.client) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                per_client.remove(&self.client);
            }
        }
    }
}

/// The key a client's connections are counted under: its IPv4 address, or its IPv6 /64 (one
/// host usually holds a whole /64, so counting single IPv6 addresses would cap nothing).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::from(u64::MAX)))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max_total: usize, max_per_ip: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max_total,
            max_per_ip,
            open: Mutex::default(),
        })
    }

    #[test]
    fn caps_per_client_and_in_all() {
        let s = slots(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = s.take(a).expect("first from a");
        let a2 = s.take(a).expect("second from a");
        assert!(s.take(a).is_none(), "a is at its cap");
        let b1 = s.take(b).expect("b has its own cap");
        assert!(s.take(b).is_none(), "the server is full");
        drop(a1);
        assert!(s.take(a).is_some(), "a's slot came back");
        drop((a2, b1));
        let open = s.open.lock().unwrap();
        assert_eq!(open.0, 0);
        assert!(open.1.is_empty(), "no client left behind: {:?}", open.1);
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let s = slots(10, 1);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let _held = s.take(one).expect("first");
        assert!(s.take(same_64).is_none(), "same /64");
        assert!(s.take(other_64).is_some(), "another /64");
        let v4: IpAddr = [192, 0, 2, 7].into();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let _v4 = s.take(v4).expect("v4");
        assert!(
            s.take(mapped).is_none(),
            "the mapped form is the same client"
        );
    }
}
