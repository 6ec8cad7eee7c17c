//! A company's HTTP proxy on 127.0.0.1: `CONNECT host:port` tunnels (what https clients ask a
//! proxy for) and absolute-form requests (`GET http://host/…`, plain http through a proxy).
//!
//! It logs every request it gets, and it is the only way to the made-up hosts `*.test`
//! ([`crate::tls::TLS_NAMES`]): they resolve nowhere, and the proxy sends them to 127.0.0.1 —
//! so a test that talks to `https://gram.test:PORT` and succeeds went through the proxy for
//! every request. [`ConnectProxy::refusing`] answers 407 to everything (a proxy that wants
//! credentials).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// An HTTP proxy on `127.0.0.1:<free port>`; stops when dropped.
pub struct ConnectProxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ConnectProxy {
    /// A proxy that opens every tunnel asked for.
    pub fn start() -> Self {
        Self::run(None)
    }

    /// A proxy that answers every request `407 Proxy Authentication Required`.
    pub fn refusing() -> Self {
        Self::run(Some(407))
    }

    fn run(refuse: Option<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("an address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let log = log.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let log = log.clone();
                            std::thread::spawn(move || {
                                let _ = serve(stream, &log, refuse);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            addr,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`: what `HTTPS_PROXY` is set to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request line the proxy got, in order: `CONNECT gram.test:4431 HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Where the proxy sends `host:port`: the `*.test` names and localhost go to 127.0.0.1.
fn upstream(authority: &str) -> Option<SocketAddr> {
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host {
        "localhost" | "127.0.0.1" => Some(SocketAddr::from(([127, 0, 0, 1], port))),
        h if h.ends_with(".test") => Some(SocketAddr::from(([127, 0, 0, 1], port))),
        _ => None,
    }
}

fn serve(client: TcpStream, log: &Mutex<Vec<String>>, refuse: Option<u16>) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let first = head.lines().next().unwrap_or_default().to_owned();
    log.lock().expect("log").push(first.clone());
    let mut client = client;
    if let Some(status) = refuse {
        write!(
            client,
            "HTTP/1.1 {status} Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"acme\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return Ok(());
    }
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let (authority, forward) = if method == "CONNECT" {
        (target.to_owned(), None)
    } else {
        // Absolute form: `GET http://host:port/path HTTP/1.1` goes to host:port as is.
        let rest = target.strip_prefix("http://").unwrap_or(target);
        let authority = rest.split('/').next().unwrap_or_default();
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        (authority, Some(head.clone()))
    };
    let Some(to) = upstream(&authority) else {
        client.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    let Ok(mut server) = TcpStream::connect(to) else {
        client.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    match forward {
        None => client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?,
        Some(head) => server.write_all(head.as_bytes())?,
    }
    // Whatever the reader already buffered belongs to the upstream too.
    let buffered = reader.buffer().to_vec();
    server.write_all(&buffered)?;
    let mut up = server.try_clone()?;
    let mut down = client.try_clone()?;
    let pump = std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader.into_inner(), &mut up);
        let _ = up.shutdown(std::net::Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if down.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = down.shutdown(std::net::Shutdown::Write);
    let _ = pump.join();
    Ok(())
}
