//! TLS for the stand-ins, as a company would have it: a throwaway certificate authority made at
//! test time ([`TestCa`], with rcgen) and a TLS front ([`TlsFront`]) that serves any stand-in
//! over https with a leaf the CA signed — for `localhost`, `127.0.0.1` and the made-up names
//! `gram.test` and `github.test` (which resolve nowhere: only a proxy can reach them, see
//! [`crate::ConnectProxy`]).
//!
//! The front terminates TLS (rustls with ring, the provider the workspace uses) and pipes the
//! plain bytes to the stand-in's own loop on 127.0.0.1, so every stand-in keeps one server loop
//! (`server.rs`) whether it is reached over http or https.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names every leaf is valid for.
pub const TLS_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "gram.test", "github.test"];

/// A certificate authority made for one test: its certificate (PEM) is what a company hands
/// its admins; it signs the stand-ins' leaves.
pub struct TestCa {
    name: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").field("name", &self.name).finish()
    }
}

impl TestCa {
    /// A new CA named `name` (its common name), of the organization "Gram Admin Tests".
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Gram Admin Tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Self {
            name: name.to_owned(),
            cert,
            key,
        }
    }

    /// The CA's common name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// Writes the CA certificate (PEM) to `dir/<file>` and returns the path.
    pub fn write_pem(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.pem()).expect("write the CA's PEM");
        path
    }

    /// A server leaf for [`TLS_NAMES`], signed by this CA: (certificate, private key).
    fn leaf(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let names: Vec<String> = TLS_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "stand-in");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("leaf certificate");
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// A stand-in served over https: TLS on its own port, the plain bytes piped to the stand-in.
/// Stops (port closed) when dropped.
pub struct TlsFront {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    refused: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TlsFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFront")
            .field("addr", &self.addr)
            .finish()
    }
}

impl TlsFront {
    /// Serves the stand-in at `backend` (`http://127.0.0.1:PORT`, as its `url()` says) over
    /// https, with a leaf `ca` signed.
    pub fn new(ca: &TestCa, backend: &str) -> Self {
        let backend: SocketAddr = backend
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .split('/')
            .next()
            .and_then(|a| a.parse().ok())
            .expect("the stand-in's http://127.0.0.1:PORT");
        let (cert, key) = ca.leaf();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("the leaf and its key");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("an address");
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let stop = stop.clone();
            let refused = refused.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let config = config.clone();
                            let stop = stop.clone();
                            let refused = refused.clone();
                            std::thread::spawn(move || {
                                if let Err(why) = serve(stream, config, backend, &stop) {
                                    refused.lock().expect("log").push(why);
                                }
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            refused,
            thread: Some(thread),
        }
    }

    /// The front's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://localhost:PORT`.
    pub fn url(&self) -> String {
        self.url_as("localhost")
    }

    /// `https://<host>:PORT`: `gram.test` or `github.test` reach it only through a proxy.
    pub fn url_as(&self, host: &str) -> String {
        format!("https://{host}:{}", self.port())
    }

    /// The handshakes that failed, as rustls described them (a client that refused the leaf
    /// sends an alert: "received fatal alert: UnknownCA").
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().expect("log").clone()
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn is_idle(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// One connection: the handshake, then bytes both ways until either side closes.
fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    backend: SocketAddr,
    stop: &AtomicBool,
) -> Result<(), String> {
    tcp.set_nonblocking(false).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let conn = rustls::ServerConnection::new(config).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(|e| e.to_string())?;
    }
    let quick = Some(Duration::from_millis(5));
    tls.sock
        .set_read_timeout(quick)
        .map_err(|e| e.to_string())?;
    let mut plain = TcpStream::connect(backend).map_err(|e| e.to_string())?;
    plain.set_read_timeout(quick).map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut client_open = true;
    while !stop.load(Ordering::SeqCst) {
        if client_open {
            match tls.read(&mut buf) {
                Ok(0) => {
                    client_open = false;
                    let _ = plain.shutdown(std::net::Shutdown::Write);
                }
                Ok(n) => plain.write_all(&buf[..n]).map_err(|e| e.to_string())?,
                Err(e) if is_idle(&e) => {}
                Err(_) => {
                    client_open = false;
                    let _ = plain.shutdown(std::net::Shutdown::Write);
                }
            }
        }
        match plain.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                tls.write_all(&buf[..n]).map_err(|e| e.to_string())?;
                tls.flush().map_err(|e| e.to_string())?;
            }
            Err(e) if is_idle(&e) => {}
            Err(_) => break,
        }
    }
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
    Ok(())
}
