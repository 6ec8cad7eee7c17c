//! The server loop every stand-in shares: an HTTP server on 127.0.0.1 (a free port) that hands
//! each request to its stand-in's handler, and stops — port closed, loop joined — when stopped
//! or dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// An HTTP server on `127.0.0.1:<free port>` running one handler.
pub(crate) struct Server {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Serves every request on a thread of its own, so a slow answer (a delay, a test that
    /// waits) never holds the next request back.
    pub(crate) fn start(handle: impl Fn(tiny_http::Request) + Send + Sync + 'static) -> Self {
        let handle = Arc::new(handle);
        Self::serve(move |request| {
            let handle = handle.clone();
            std::thread::spawn(move || handle(request));
        })
    }

    /// Serves one request after another, in the order they arrive (answers played in order).
    pub(crate) fn serial(handle: impl Fn(tiny_http::Request) + Send + 'static) -> Self {
        Self::serve(handle)
    }

    fn serve(handle: impl Fn(tiny_http::Request) + Send + 'static) -> Self {
        let http = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = http.server_addr().to_ip().expect("an IP address");
        let thread = {
            let http = http.clone();
            std::thread::spawn(move || {
                while let Ok(request) = http.recv() {
                    handle(request);
                }
            })
        };
        Self {
            addr,
            http,
            thread: Some(thread),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking requests and waits for the loop to end (requests already handed to a
    /// thread finish on their own). Stopping twice is harmless.
    pub(crate) fn stop(&mut self) {
        self.http.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// The status of a `GET /` over a raw socket; `None` when nothing answers.
    fn get(addr: SocketAddr) -> Option<u16> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split(' ').nth(1)?.parse().ok()
    }

    #[test]
    fn each_mode_answers_through_its_handler_until_stopped() {
        for serial in [false, true] {
            let served = Arc::new(AtomicUsize::new(0));
            let handler = {
                let served = served.clone();
                move |request: tiny_http::Request| {
                    served.fetch_add(1, Ordering::SeqCst);
                    let _ = request.respond(tiny_http::Response::empty(204));
                }
            };
            let mut server = if serial {
                Server::serial(handler)
            } else {
                Server::start(handler)
            };
            let addr = server.addr();
            assert_eq!(server.url(), format!("http://{addr}"));
            assert_eq!(get(addr), Some(204), "serial: {serial}");
            assert_eq!(get(addr), Some(204), "serial: {serial}");
            server.stop();
            assert_eq!(get(addr), None, "a stopped server still answered");
            server.stop();
            assert_eq!(served.load(Ordering::SeqCst), 2);
        }
    }

    #[test]
    fn a_slow_answer_does_not_hold_the_next_request_back() {
        let server = Server::start(|request: tiny_http::Request| {
            if request.url() == "/slow" {
                std::thread::sleep(Duration::from_secs(5));
            }
            let _ = request.respond(tiny_http::Response::empty(204));
        });
        let addr = server.addr();
        let mut slow = TcpStream::connect(addr).expect("connect");
        slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("write");
        // `get` gives up after 2 s: an answer means the slow request did not hold it back.
        assert_eq!(get(addr), Some(204));
    }
}
