//! How gram-admin reaches the network: the one place every HTTP client (Gram, GitHub's API,
//! GitHub's device flow) is built, so none can skip the company's CA or its proxy.
//!
//! - **Trust**: the operating system's certificate store, through rustls-platform-verifier —
//!   the Security framework on macOS and the CryptoAPI on Windows (a CA an admin or MDM put in
//!   the keychain / the certificate store is trusted, with the OS's own revocation checks); on
//!   Linux the system bundle, found by rustls-native-certs, which honours `SSL_CERT_FILE` and
//!   `SSL_CERT_DIR`. A [`Network::with_ca_file`] PEM file adds its certificates as extra roots.
//!   rustls uses ring, the only provider compiled in.
//! - **Proxy**: reqwest's, which is hyper-util's matcher: `HTTPS_PROXY`, `HTTP_PROXY`,
//!   `ALL_PROXY` and `NO_PROXY` (lower-case too); on macOS the System Configuration proxy
//!   settings and on Windows the Internet Settings in the registry, when no variable is set.
//!   [`Network::proxy_for`] asks the same matcher, so errors and check-hook name the proxy used.
//! - **Errors**: [`Network::explain`] walks an error's source chain (rustls' `InvalidCertificate`,
//!   hyper-util's tunnel errors, connect errors) into a [`NetProblem`] a user can act on.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// The network settings every client is built with: the OS trust store, an optional extra CA
/// file, and the proxy the environment (or the OS) names. Cheap to clone; the TLS
/// configuration is built once, on first use.
#[derive(Clone)]
pub struct Network {
    inner: Arc<Inner>,
}

struct Inner {
    ca_file: Option<PathBuf>,
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, NetProblem>>,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("ca_file", &self.inner.ca_file)
            .finish_non_exhaustive()
    }
}

impl Default for Network {
    fn default() -> Self {
        Self::system()
    }
}

/// The proxy a request goes through, without any user name or password it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `http://proxy.acme.test:3128`.
    pub url: String,
    /// Where it was set: `HTTPS_PROXY`, `ALL_PROXY`, … or "the system proxy settings".
    pub from: String,
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.url, self.from)
    }
}

/// What went wrong on the way to a server, as a clause that says what to do. Never holds a
/// secret (a proxy's credentials are dropped before it is named).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetProblem {
    /// The server's certificate chains to a CA this computer does not trust.
    #[error("the certificate of {host} is signed by {issuer}, which this computer does not trust: add the company's CA to the system store or give its PEM file")]
    UntrustedIssuer { host: String, issuer: String },
    /// The certificate is trusted but wrong (another name, expired, …).
    #[error("the certificate of {host} was refused: {reason}")]
    BadCertificate { host: String, reason: String },
    /// The proxy could not be reached, asked for credentials, or refused the tunnel.
    #[error("the proxy {proxy} {why}")]
    Proxy { proxy: Proxy, why: String },
    /// The extra CA file cannot be used.
    #[error("the CA file {} cannot be used ({why}): give a PEM file with the company's CA certificate", path.display())]
    CaFile { path: PathBuf, why: String },
    /// The TLS configuration could not be built from the system's store.
    #[error("the system's certificate store could not be read ({why})")]
    TrustStore { why: String },
}

impl NetProblem {
    /// True when adding the company's CA is the fix.
    pub fn needs_ca(&self) -> bool {
        matches!(
            self,
            NetProblem::UntrustedIssuer { .. } | NetProblem::CaFile { .. }
        )
    }
}

impl Network {
    /// The OS store and the environment's proxy, no extra CA.
    pub fn system() -> Self {
        Self::with_ca_file(None)
    }

    /// The OS store plus the certificates in `ca_file` (PEM), if any.
    pub fn with_ca_file(ca_file: Option<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Inner {
                ca_file,
                tls: OnceLock::new(),
            }),
        }
    }

    /// The extra CA file, if one was given.
    pub fn ca_file(&self) -> Option<&Path> {
        self.inner.ca_file.as_deref()
    }

    /// Which certificates are trusted, for a user: "the system's certificate store and
    /// /etc/acme/ca.pem".
    pub fn trust(&self) -> String {
        match self.ca_file() {
            Some(path) => format!("the system's certificate store and {}", path.display()),
            None => "the system's certificate store".to_owned(),
        }
    }

    /// A reqwest client from `builder` with this network's TLS (and reqwest's proxy rules,
    /// which are on unless a caller turns them off — none does).
    pub fn client(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::Client, NetProblem> {
        let tls = self.tls()?;
        builder
            .use_preconfigured_tls((*tls).clone())
            .build()
            .map_err(|e| NetProblem::TrustStore {
                why: root_cause(&e),
            })
    }

    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, NetProblem> {
        self.inner
            .tls
            .get_or_init(|| build_tls(self.ca_file()).map(Arc::new))
            .clone()
    }

    /// The certificates of the extra CA file (checks it can be used).
    pub fn ca_certificates(&self) -> Result<Vec<CertificateDer<'static>>, NetProblem> {
        match self.ca_file() {
            Some(path) => read_ca_file(path),
            None => Ok(Vec::new()),
        }
    }

    /// The extra CA file's certificates as PEM, certificates only (anything else in the file —
    /// a private key by mistake — is left out): what a plugin carries for its hook.
    pub fn ca_pem(&self) -> Result<Option<String>, NetProblem> {
        use base64::Engine as _;
        if self.ca_file().is_none() {
            return Ok(None);
        }
        let mut pem = String::new();
        for cert in self.ca_certificates()? {
            let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
            pem.push_str("-----BEGIN CERTIFICATE-----\n");
            for line in text.as_bytes().chunks(64) {
                pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
                pem.push('\n');
            }
            pem.push_str("-----END CERTIFICATE-----\n");
        }
        Ok(Some(pem))
    }

    /// The proxy a request to `url` goes through, as reqwest decides it; `None` for a direct
    /// connection (no proxy set, or `NO_PROXY` names the host).
    pub fn proxy_for(&self, url: &str) -> Option<Proxy> {
        let uri: http::Uri = url.parse().ok()?;
        let matcher = hyper_util::client::proxy::matcher::Matcher::from_system();
        let intercept = matcher.intercept(&uri)?;
        Some(Proxy {
            url: shown(intercept.uri()),
            from: proxy_variable(uri.scheme_str() == Some("https")),
        })
    }

    /// A [`NetProblem`] for a failed request to `url`, when the error's source chain shows
    /// one: an untrusted or bad certificate, or a proxy that failed. `None` otherwise (the
    /// caller keeps its own words: refused, DNS, timeout).
    pub fn explain(&self, url: &str, err: &(dyn StdError + 'static)) -> Option<NetProblem> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| {
                    format!(
                        "{h}{}",
                        u.port().map(|p| format!(":{p}")).unwrap_or_default()
                    )
                })
            })
            .unwrap_or_else(|| url.to_owned());
        let mut tunnel: Option<String> = None;
        let mut connect = false;
        for cause in causes(err) {
            if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
                return Some(certificate_problem(&host, tls));
            }
            if let Some(problem) = cause.downcast_ref::<NetProblem>() {
                return Some(problem.clone());
            }
            let text = cause.to_string();
            if let Some(what) = text.strip_prefix("tunnel error: ") {
                tunnel.get_or_insert_with(|| what.to_owned());
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                connect |= matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::TimedOut
                );
            }
            if let Some(r) = cause.downcast_ref::<reqwest::Error>() {
                connect |= r.is_connect();
            }
        }
        let proxy = self.proxy_for(url)?;
        let why = match tunnel.as_deref() {
            Some("proxy authorization required") => format!("asks for a user name and password (407) before it lets gram-admin through to {host}: put them in the proxy's URL (http://USER:PASSWORD@host:port), or ask IT which proxy to use"),
            Some("unsuccessful") => format!("refused to open a connection to {host}: ask IT to allow {host} through the proxy, or add it to NO_PROXY if it is reachable directly"),
            Some("failed to create underlying connection") | Some("io error establishing tunnel") => {
                format!("could not be reached ({}): check the proxy's address and port, or unset it", deepest(err))
            }
            Some(other) => format!("failed while connecting to {host} ({other})"),
            None if connect => format!("could not be reached on the way to {host} ({}): check the proxy's address and port, or unset it", deepest(err)),
            None => return None,
        };
        Some(NetProblem::Proxy { proxy, why })
    }
}

/// The proxy curl (the hook) and Bun (OpenCode's module) use for `url`: the environment's
/// variables only — they do not read macOS's or Windows's system settings.
pub fn env_proxy_for(url: &str) -> Option<Proxy> {
    let uri: http::Uri = url.parse().ok()?;
    let intercept = hyper_util::client::proxy::matcher::Matcher::from_env().intercept(&uri)?;
    Some(Proxy {
        url: shown(intercept.uri()),
        from: proxy_variable(uri.scheme_str() == Some("https")),
    })
}

/// A proxy's URL as errors show it: scheme, host and port — never the user name and password
/// a proxy URL may carry.
fn shown(proxy: &http::Uri) -> String {
    format!(
        "{}://{}{}",
        proxy.scheme_str().unwrap_or("http"),
        proxy.host().unwrap_or_default(),
        proxy.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// Where the proxy for a URL comes from, as the matcher reads it (the first variable set).
fn proxy_variable(https: bool) -> String {
    let names: &[&str] = if https {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    names
        .iter()
        .find(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
        .map_or_else(
            || "the system proxy settings".to_owned(),
            |n| (*n).to_owned(),
        )
}

fn certificate_problem(host: &str, err: &rustls::Error) -> NetProblem {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            if let Some(untrusted) = other.0.downcast_ref::<Refused>() {
                return untrusted.problem(host);
            }
            NetProblem::BadCertificate {
                host: host.to_owned(),
                reason: other.to_string(),
            }
        }
        rustls::Error::InvalidCertificate(reason) => NetProblem::BadCertificate {
            host: host.to_owned(),
            reason: certificate_reason(reason),
        },
        other => NetProblem::BadCertificate {
            host: host.to_owned(),
            reason: format!("the TLS handshake failed ({other})"),
        },
    }
}

fn certificate_reason(reason: &CertificateError) -> String {
    match reason {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired: the server must renew it (or this computer's clock is wrong)".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet: check this computer's clock".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "it is issued for another name: check the server's address".into()
        }
        CertificateError::Revoked => "it has been revoked".into(),
        other => format!("{other:?}"),
    }
}

/// What the verifier refused, with the name of the CA that signed the top of the chain. Travels
/// inside rustls' `CertificateError::Other` to [`Network::explain`].
#[derive(Debug)]
struct Refused {
    issuer: String,
    reason: CertificateError,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate issued by {} refused: {:?}",
            self.issuer, self.reason
        )
    }
}

impl StdError for Refused {}

impl Refused {
    fn problem(&self, host: &str) -> NetProblem {
        match &self.reason {
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::Other(_) => NetProblem::UntrustedIssuer {
                host: host.to_owned(),
                issuer: self.issuer.clone(),
            },
            reason => NetProblem::BadCertificate {
                host: host.to_owned(),
                reason: certificate_reason(reason),
            },
        }
    }
}

/// The platform verifier, with the refusal carrying the issuer's name.
#[derive(Debug)]
struct NamingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
}

impl ServerCertVerifier for NamingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(reason) => {
                    let top = intermediates.last().unwrap_or(end_entity);
                    let issuer = issuer_name(top).unwrap_or_else(|| "an unnamed CA".to_owned());
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(Refused { issuer, reason }),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn build_tls(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, NetProblem> {
    let extra = match ca_file {
        Some(path) => read_ca_file(path)?,
        None => Vec::new(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone()).map_err(
            |e| match ca_file {
                Some(path) => NetProblem::CaFile {
                    path: path.to_owned(),
                    why: e.to_string(),
                },
                None => NetProblem::TrustStore { why: e.to_string() },
            },
        )?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetProblem::TrustStore { why: e.to_string() })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NamingVerifier {
            inner: Arc::new(verifier),
        }))
        .with_no_client_auth();
    Ok(config)
}

/// The certificates in a PEM file; refused when it holds none.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetProblem> {
    let problem = |why: String| NetProblem::CaFile {
        path: path.to_owned(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|e| problem(format!("it could not be read: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| problem(format!("it is not a PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(problem("it holds no PEM certificate".to_owned()));
    }
    Ok(certs)
}

/// The source chain of `err`, looking inside `io::Error`s (whose `source` skips the error they
/// wrap — rustls' and hyper-util's errors travel that way).
fn causes<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
        if out.len() > 32 {
            break;
        }
    }
    out
}

/// The innermost cause's words ("Connection refused (os error 111)").
fn deepest(err: &(dyn StdError + 'static)) -> String {
    causes(err)
        .last()
        .map_or_else(String::new, |e| e.to_string())
}

fn root_cause(e: &(dyn StdError + 'static)) -> String {
    deepest(e)
}

/// The issuer of a DER certificate, as "CN (O)" or whichever of them it has.
pub fn issuer_name(cert: &[u8]) -> Option<String> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serial,
    // signature AlgorithmIdentifier, issuer Name, … } … }
    let (_, cert, _) = der(cert, 0x30)?;
    let (_, tbs, _) = der(cert, 0x30)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der(rest, 0xa0)?.2;
    }
    rest = der(rest, 0x02)?.2; // serial
    rest = der(rest, 0x30)?.2; // signature algorithm
    let (_, mut name, _) = der(rest, 0x30)?;
    let (mut cn, mut o) = (None, None);
    while !name.is_empty() {
        let (_, set, after) = der(name, 0x31)?;
        name = after;
        let mut set = set;
        while !set.is_empty() {
            let (_, atv, after) = der(set, 0x30)?;
            set = after;
            let (_, oid, value) = der(atv, 0x06)?;
            let (tag, text, _) = any(value)?;
            if !matches!(tag, 0x0c | 0x13 | 0x16 | 0x14 | 0x1e) {
                continue;
            }
            let text = String::from_utf8_lossy(text).into_owned();
            match oid {
                [0x55, 0x04, 0x03] => cn = Some(text),
                [0x55, 0x04, 0x0a] => o = Some(text),
                _ => {}
            }
        }
    }
    match (cn, o) {
        (Some(cn), Some(o)) if cn != o => Some(format!("\u{201c}{cn}\u{201d} ({o})")),
        (Some(name), _) | (None, Some(name)) => Some(format!("\u{201c}{name}\u{201d}")),
        (None, None) => None,
    }
}

/// One DER TLV with tag `tag`: (tag, content, rest).
fn der(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    let (t, content, rest) = any(input)?;
    (t == tag).then_some((t, content, rest))
}

fn any(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        let err = read_ca_file(&missing).unwrap_err();
        assert!(err.to_string().contains("none.pem"), "{err}");
        assert!(err.needs_ca());
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = read_ca_file(&empty).unwrap_err().to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        let net = Network::with_ca_file(Some(empty));
        let err = net.client(reqwest::Client::builder()).unwrap_err();
        assert!(matches!(err, NetProblem::CaFile { .. }), "{err:?}");
    }

    #[test]
    fn the_system_store_alone_builds_a_client() {
        let net = Network::system();
        let started = std::time::Instant::now();
        assert!(net.client(reqwest::Client::builder()).is_ok());
        let first = started.elapsed();
        let started = std::time::Instant::now();
        assert!(net.client(reqwest::Client::builder()).is_ok());
        // Measured, not asserted: the system store is read once per Network.
        eprintln!(
            "TLS config from the system store: first client {first:?}, next {:?}",
            started.elapsed()
        );
        assert_eq!(net.trust(), "the system's certificate store");
    }

    #[test]
    fn a_proxy_is_shown_without_its_credentials() {
        let uri: http::Uri = "http://alice:s3cret@proxy.acme.test:3128".parse().unwrap();
        assert_eq!(shown(&uri), "http://proxy.acme.test:3128");
    }

    #[test]
    fn der_lengths_are_bounded() {
        assert_eq!(any(&[0x30, 0x82, 0xff]), None);
        assert_eq!(any(&[0x30, 0x01]), None);
        assert_eq!(
            any(&[0x30, 0x01, 0x05, 0x09]),
            Some((0x30, &[0x05][..], &[0x09][..]))
        );
        assert_eq!(issuer_name(b"garbage"), None);
    }
}
