//! Who is calling: the TCP peer, or, when the peer is a trusted proxy, the nearest
//! untrusted address of `X-Forwarded-For` (read from the right, so a client cannot
//! spoof it by sending its own header).

use std::net::IpAddr;

/// The caller's address; `None` when unknown or when `X-Forwarded-For` holds garbage
/// where the client should be.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty())
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let address = hop.parse::<IpAddr>().ok()?.to_canonical();
        if !trusted_proxies.contains(&address) {
            return Some(address);
        }
        nearest = address;
    }
    Some(nearest)
}

/// Whether `ip` may call: an empty allow-list allows everyone.
pub fn is_allowed(ip: Option<IpAddr>, allowed: &[IpAddr]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    ip.is_some_and(|ip| allowed.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_forward() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &["1.2.3.4"], &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn trusted_proxies_forward_the_nearest_untrusted_hop() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_ip(
                Some(ip("10.0.0.1")),
                &["6.6.6.6, 203.0.113.9", "10.0.0.2"],
                &trusted
            ),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &[], &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(client_ip(Some(ip("10.0.0.1")), &["junk"], &trusted), None);
        assert_eq!(
            client_ip(Some(ip("::ffff:10.0.0.1")), &["203.0.113.9"], &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn empty_allow_list_allows_all() {
        assert!(is_allowed(None, &[]));
        assert!(!is_allowed(None, &[ip("1.1.1.1")]));
        assert!(is_allowed(Some(ip("1.1.1.1")), &[ip("1.1.1.1")]));
    }
}
