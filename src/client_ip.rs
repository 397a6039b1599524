//! Who sent a request, for rate limits (ssr-only). `http::edge` works it out once per request
//! (`ClientIp::of`) and leaves it in the request's extensions, where the write limit, the REST
//! handlers and the server functions read it.
//!
//! - The client is the connection's peer, unless the peer is one of the operator's reverse
//!   proxies (`QUIRE_TRUSTED_PROXIES`): then it is the nearest address in `X-Forwarded-For`
//!   that is not one of those proxies. Addresses further left were written by the client
//!   itself and are never believed, so a client cannot pick its own rate-limit bucket.
//! - Limits count an IPv6 client by its /64: one subscriber usually holds a whole /64, and
//!   could otherwise take a new address for every request.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use anyhow::{Context, bail};
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The address a request came from; `None` (the default) for a request that came without a
/// socket (the in-process router tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The client of `request`: its peer, or what trusted proxies say the peer forwarded.
    pub fn of(request: &Request, trusted: &TrustedProxies) -> Self {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_canonical());
        if let Some(peer) = peer
            && trusted.is_empty()
            && request.headers().contains_key("x-forwarded-for")
        {
            warn_of_an_untrusted_proxy(peer);
        }
        Self(peer.map(|peer| forwarded_client(peer, request.headers(), trusted)))
    }

    /// The client a request's extensions name (`http::edge` puts it there), or the default
    /// for one that came without a socket.
    pub fn of_extensions(extensions: &axum::http::Extensions) -> Self {
        extensions.get::<Self>().copied().unwrap_or_default()
    }

    /// What rate limits count against: an IPv4 address, an IPv6 /64 (`2001:db8:0:1::/64`), or
    /// `local` without a socket.
    pub fn limit_key(self) -> ClientKey {
        ClientKey(match self.0 {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let prefix = u128::from(v6) & !(u128::MAX >> 64);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
            None => "local".to_owned(),
        })
    }
}

/// A client as rate limits count it (`ClientIp::limit_key`), or the operator's command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    /// The operator, at the command line (`quire user create`).
    pub fn operator() -> Self {
        Self::named("cli")
    }

    /// A client that is not an address: a tool's or a test's own name.
    pub fn named(name: &str) -> Self {
        Self(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for ClientKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Self>()
            .copied()
            .unwrap_or(Self(None)))
    }
}

/// Says once in the log, for the first `X-Forwarded-For` that came from a loopback or private
/// peer while no proxy is trusted, that every client behind that proxy shares its rate limits
/// (it is most likely the operator's own proxy, not configured). Whether it was said is
/// returned, for the test.
fn warn_of_an_untrusted_proxy(peer: IpAddr) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARNED: AtomicBool = AtomicBool::new(false);
    let private = match peer {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    };
    if !private || WARNED.swap(true, Ordering::Relaxed) {
        return false;
    }
    tracing::warn!(
        %peer,
        "X-Forwarded-For came from a local proxy, but QUIRE_TRUSTED_PROXIES is empty: \
         the header is ignored, and every client behind that proxy shares its rate limits; \
         list the proxy in QUIRE_TRUSTED_PROXIES"
    );
    true
}

/// The client behind `peer`: the peer itself unless it is a trusted proxy; otherwise the
/// nearest untrusted address of `X-Forwarded-For`, read from the right (each proxy appends
/// the address it received the request from). When every address is trusted, the leftmost;
/// when an entry cannot be read, the proxy that passed it on.
fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    let mut client = peer;
    for hop in hops.rev() {
        let Some(ip) = parse_hop(hop.trim()) else {
            return client;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`203.0.113.7:4711`,
/// `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`QUIRE_TRUSTED_PROXIES`): single
/// addresses and CIDR ranges, comma-separated. Empty by default: the header is then ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Reads `127.0.0.1, 10.0.0.0/8, ::1`; an entry that is not an address or a range is an
    /// error naming it.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                Cidr::parse(entry).with_context(|| {
                    format!("`{entry}` is not an IP address or a range such as 10.0.0.0/8")
                })
            })
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An address range: `network` with its first `bits` bits significant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl Cidr {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let network = address.parse::<IpAddr>()?.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(bits) => bits.parse::<u8>()?,
            None => width,
        };
        if bits > width {
            bail!("a range of {bits} bits is longer than the address");
        }
        Ok(Self { network, bits })
    }

    fn contains(self, ip: IpAddr) -> bool {
        let mask = |width: u32| {
            u128::MAX
                .checked_shl(width - u32::from(self.bits))
                .unwrap_or(0)
        };
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask(32);
                (u128::from(u32::from(net)) & mask) == (u128::from(u32::from(ip)) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask(128);
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    /// Issue 32 F6: a proxy on this machine that nobody listed made every client one, silently.
    #[test]
    fn a_local_proxy_not_trusted_is_said_once() {
        // A public peer's header is a client's own words: nothing to say.
        assert!(!warn_of_an_untrusted_proxy(ip("203.0.113.9")));
        assert!(warn_of_an_untrusted_proxy(ip("127.0.0.1")));
        assert!(
            !warn_of_an_untrusted_proxy(ip("10.1.2.3")),
            "said once only"
        );
    }

    #[test]
    fn ranges_hold_what_they_should() {
        let trusted = TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8 ,fd00::/8,").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(trusted.contains(ip("10.255.1.2")));
        assert!(!trusted.contains(ip("11.0.0.1")));
        assert!(trusted.contains(ip("fd12::1")));
        assert!(!trusted.contains(ip("fe80::1")));
        // An IPv4 peer seen through an IPv6 socket is the IPv4 address.
        assert!(trusted.contains(ip("::ffff:10.1.2.3")));
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert_eq!(
            TrustedProxies::parse(" , ").unwrap(),
            TrustedProxies::default()
        );
    }

    #[test]
    fn bad_ranges_are_refused_with_their_text() {
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "localhost",
            "10.0.0/8",
            "1.2.3.4/x",
        ] {
            let error = TrustedProxies::parse(&format!("127.0.0.1,{bad}")).unwrap_err();
            assert!(format!("{error:#}").contains(bad), "{error:#}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let peer = ip("127.0.0.1");
        let headers = forwarded(&["203.0.113.7"]);
        // Without trusted proxies the header is ignored.
        assert_eq!(forwarded_client(peer, &headers, &none), peer);
        // From an untrusted peer too.
        assert_eq!(
            forwarded_client(ip("198.51.100.1"), &headers, &proxies),
            ip("198.51.100.1")
        );
        assert_eq!(
            forwarded_client(peer, &headers, &proxies),
            ip("203.0.113.7")
        );
        // A client that writes its own header is seen at the address the proxy appended.
        let spoofed = forwarded(&["1.1.1.1, 203.0.113.7"]);
        assert_eq!(
            forwarded_client(peer, &spoofed, &proxies),
            ip("203.0.113.7")
        );
        // Through a chain of trusted proxies, in one header or several.
        let chain = forwarded(&["1.1.1.1, 203.0.113.7", "10.0.0.5 , 10.0.0.6"]);
        assert_eq!(forwarded_client(peer, &chain, &proxies), ip("203.0.113.7"));
        // Only trusted hops: the leftmost. No header: the proxy itself.
        let inside = forwarded(&["10.0.0.9, 10.0.0.5"]);
        assert_eq!(forwarded_client(peer, &inside, &proxies), ip("10.0.0.9"));
        assert_eq!(forwarded_client(peer, &HeaderMap::new(), &proxies), peer);
        // An entry that is not an address stops the walk at the proxy that passed it on.
        let garbage = forwarded(&["203.0.113.7, unknown, 10.0.0.5"]);
        assert_eq!(forwarded_client(peer, &garbage, &proxies), ip("10.0.0.5"));
        // Ports and bracketed IPv6 are read.
        let ported = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(forwarded_client(peer, &ported, &proxies), ip("2001:db8::7"));
        let ported = forwarded(&["203.0.113.7:4711"]);
        assert_eq!(forwarded_client(peer, &ported, &proxies), ip("203.0.113.7"));
    }

    #[test]
    fn limits_count_ipv6_by_its_64() {
        let key = |text: &str| ClientIp(Some(ip(text))).limit_key();
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:0:1:aaaa::1"), "2001:db8:0:1::/64");
        assert_eq!(key("2001:db8:0:1:ffff::2"), key("2001:db8:0:1::9"));
        assert_ne!(key("2001:db8:0:1::1"), key("2001:db8:0:2::1"));
        assert_eq!(ClientIp(None).limit_key(), "local");
    }
}
