//! [`FetchRules`]: which URLs sfd fetches when a provider (or a document)
//! points at a file. Only `https` to public addresses, or any URL on an
//! origin the operator configured (a provider's own base URL, such as a
//! local ComfyUI, and the `SFD_FETCH_ALLOW` list). Loopback, private,
//! link-local and metadata addresses are refused before connecting, for
//! names at resolution time too (so a redirect or a DNS answer cannot
//! reach them), and redirects are checked hop by hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::model::MediaType;

/// At most this many redirects are followed.
const MAX_REDIRECTS: usize = 5;

/// The origins sfd may fetch from over plain http or at private addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchRules {
    allowed: Vec<url::Origin>,
}

impl FetchRules {
    /// Rules allowing `origins` (URLs; only their scheme, host and port count).
    pub fn new<S: AsRef<str>>(origins: impl IntoIterator<Item = S>) -> Result<Self, String> {
        let mut rules = FetchRules::default();
        for o in origins {
            rules = rules.with_origin(o.as_ref())?;
        }
        Ok(rules)
    }

    /// Also allows the origin of `url`.
    pub fn with_origin(mut self, url: &str) -> Result<Self, String> {
        let parsed = Url::parse(url.trim()).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(format!("'{url}' is not an http(s) URL"));
        }
        let origin = parsed.origin();
        if !self.allowed.contains(&origin) {
            self.allowed.push(origin);
        }
        Ok(self)
    }

    /// The allowed origins.
    pub fn origins(&self) -> impl Iterator<Item = String> + '_ {
        self.allowed.iter().map(|o| o.ascii_serialization())
    }

    /// Whether `url` may be fetched, as far as can be told without DNS
    /// (names are checked again when they resolve, by [`FetchRules::client`]).
    pub fn check(&self, url: &Url) -> Result<(), String> {
        if self.allowed.contains(&url.origin()) {
            return Ok(());
        }
        let shown = url.origin().ascii_serialization();
        if url.scheme() != "https" {
            return Err(format!(
                "refused to fetch from {shown}: only https, or an origin in SFD_FETCH_ALLOW"
            ));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => Err(private(&shown)),
            Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => Err(private(&shown)),
            // An allowed host on another port or scheme is not that origin.
            Some(url::Host::Domain(d)) if self.allows_host(d) => Err(format!(
                "refused to fetch from {shown}: not the allowed origin of that host"
            )),
            Some(_) => Ok(()),
            None => Err(format!("refused to fetch '{shown}': no host")),
        }
    }

    fn allows_host(&self, host: &str) -> bool {
        self.allowed.iter().any(|o| match o {
            url::Origin::Tuple(_, h, _) => h.to_string().eq_ignore_ascii_case(host),
            url::Origin::Opaque(_) => false,
        })
    }

    /// A client builder that refuses what these rules refuse: names that
    /// resolve to a non-public address (unless the name is an allowed
    /// origin's host) and redirects to a URL [`FetchRules::check`] refuses.
    pub(crate) fn client(&self) -> reqwest::ClientBuilder {
        let rules = self.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            match rules.check(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(why) => attempt.error(why),
            }
        });
        reqwest::Client::builder()
            .redirect(redirects)
            .dns_resolver(Arc::new(Guard { rules: self.clone() }))
    }
}

/// The most bytes of a reference file fetched from outside sfd's media store.
const MAX_REFERENCE_BYTES: usize = 64 << 20;

/// Fetches `url`, a reference file outside sfd's media store (such as an
/// old document's `character.url`), under `rules`: refused URLs and failed
/// fetches are errors naming the URL's origin (and `SFD_FETCH_ALLOW` when
/// the rules refuse it); the answer's body never reaches the error.
pub(crate) async fn fetch_reference(rules: &FetchRules, url: &str) -> crate::Result<(MediaType, Bytes)> {
    let fail = |status: Option<u16>, message: String| {
        super::render_error("fetch", crate::LlmErrorKind::BadRequest, status, message, 1)
    };
    let parsed = Url::parse(url).map_err(|_| fail(None, format!("the reference '{url}' is not a URL")))?;
    let shown = parsed.origin().ascii_serialization();
    if let Err(why) = rules.check(&parsed) {
        let hint = if why.contains("SFD_FETCH_ALLOW") {
            String::new()
        } else {
            " (add its origin to SFD_FETCH_ALLOW to allow it)".to_string()
        };
        return Err(fail(None, format!("{why}{hint}")));
    }
    let client = rules
        .client()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| fail(None, format!("no HTTP client: {e}")))?;
    let policy = crate::llm::RetryPolicy::default();
    let reply = crate::llm::http::send_capped(&policy, None, "fetch", MAX_REFERENCE_BYTES, || {
        Ok(client.get(parsed.clone()))
    })
    .await
    .map_err(|f| match f.status {
        Some(status) => fail(
            Some(status),
            format!("fetching the reference from {shown} failed with HTTP {status}"),
        ),
        None => fail(
            None,
            format!(
                "fetching the reference from {shown} failed: {} (SFD_FETCH_ALLOW lists the origins sfd may fetch from)",
                f.message
            ),
        ),
    })?;
    let media_type = MediaType::sniff(&reply.body).ok_or_else(|| {
        fail(
            None,
            format!("the reference from {shown} is not an image, video or audio file"),
        )
    })?;
    Ok((media_type, reply.body))
}

fn private(shown: &str) -> String {
    format!("refused to fetch from {shown}: a loopback, private, link-local or metadata address")
}

/// Resolves names, refusing those with a non-public address.
struct Guard {
    rules: FetchRules,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let trusted = self.rules.allows_host(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !trusted && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(format!("refused to fetch from {host}: it resolves to {}", bad.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a public unicast address (not loopback, private,
/// link-local, shared, reserved, multicast or documentation).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || s[..6] == [0, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_https_to_public_addresses_or_allowed_origins() {
        let rules = FetchRules::new(["http://127.0.0.1:8188/v1", "http://comfy.local:8188"]).unwrap();
        assert!(rules.check(&url("http://127.0.0.1:8188/view?x=1")).is_ok());
        assert!(rules.check(&url("http://comfy.local:8188/a.png")).is_ok());
        assert!(rules.check(&url("https://cdn.example/a.png")).is_ok());
        for bad in [
            "http://cdn.example/a.png",
            "http://127.0.0.1:9000/",
            "https://127.0.0.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[fd00::1]/",
            "https://100.100.100.200/",
            "https://comfy.local:22/",
            "file:///etc/passwd",
        ] {
            assert!(rules.check(&url(bad)).is_err(), "{bad} was allowed");
        }
        assert!(FetchRules::new(["ftp://x"]).is_err());
        assert!(is_public("8.8.8.8".parse().unwrap()) && is_public("2606:4700::1".parse().unwrap()));
    }
}
