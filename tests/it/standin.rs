//! The one HTTP stand-in of the Rust tests: a loopback server on port 0 that records every
//! request and answers each from a handler (status, headers, body, a delay, or silence). Tests
//! that emulate a whole service (Azure Resource Manager in `arm_standin.rs`) put their routing
//! in the handler; one-off servers (a redirecting load balancer, a TLS proxy's 400, a web page
//! at the wrong URL, a port that never answers) are a line each.
//!
//! Plain HTTP/1.1, one request per connection (`Connection: close`), one thread per
//! connection, bounded reads, and a bounded lifetime (five minutes), so a test that forgets it
//! cannot hang the run. A connection that sends nothing (a TCP reachability probe) is not a
//! request and is not recorded. The Python stand-ins (`tests/conformance/*standin*.py`) emulate
//! real services over HTTPS too; this one has no TLS, and a TLS ClientHello is recorded with
//! method `TLS` and answered like any request, as a plain-HTTP server would.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A request as the stand-in read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// Names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the head had been read.
    pub at: Instant,
    /// The stand-in's own base URL (`http://127.0.0.1:PORT`), for answers that link back.
    pub local: String,
}

impl Request {
    /// `METHOD TARGET HTTP/1.1`, the request line.
    pub fn line(&self) -> String {
        format!("{} {} HTTP/1.1", self.method, self.target)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target's path and query (`""` when there is none).
    pub fn path_and_query(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((&self.target, ""))
    }
}

/// What the stand-in answers.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    /// Answer nothing and hold the connection until the client gives up.
    silent: bool,
}

impl Reply {
    /// `status` with the usual reason phrase and an empty body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            reason: reason(status).to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            silent: false,
        }
    }

    /// 200 with a JSON body.
    pub fn json(body: impl Into<String>) -> Reply {
        Reply::status(200).body("application/json", body.into())
    }

    /// Holds the connection without a word until the client closes it (or ten seconds).
    pub fn silent() -> Reply {
        Reply {
            silent: true,
            ..Reply::status(200)
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(self, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        self.header("Content-Type", content_type).with_body(body)
    }

    /// The body as is; a Content-Type, if any, given with [`Reply::header`].
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Waits `delay` before answering.
    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running stand-in; stops when dropped.
pub struct HttpStandIn {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl HttpStandIn {
    /// Starts a stand-in that answers every request with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> HttpStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (seen, stop, url) = (seen.clone(), stop.clone(), url.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (seen, handler, url) = (seen.clone(), handler.clone(), url.clone());
                            std::thread::spawn(move || {
                                let _ = serve(stream, &*handler, &seen, &url);
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        HttpStandIn {
            url,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    /// Every request so far, in the order their heads were read.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// The request lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Request::line).collect()
    }
}

impl Drop for HttpStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Reads one request, records it, answers it.
fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    seen: &Mutex<Vec<Request>>,
    local: &str,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let tls = loop {
        if head.ends_with(b"\r\n\r\n") {
            break false;
        }
        if head.len() > 64 * 1024 || stream.read(&mut byte)? == 0 {
            if head.is_empty() {
                return Ok(()); // a reachability probe: connect, then close
            }
            break false;
        }
        head.push(byte[0]);
        if head.len() > 5 && head[0] == 0x16 {
            break true; // a TLS record, not text
        }
    };
    let request = if tls {
        Request {
            method: "TLS".into(),
            target: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            at: Instant::now(),
            local: local.to_string(),
        }
    } else {
        let text = String::from_utf8_lossy(&head).into_owned();
        let mut lines = text.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let target = first.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
            .min(16 * 1024 * 1024);
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body)?;
        Request {
            method,
            target,
            headers,
            body,
            at: Instant::now(),
            local: local.to_string(),
        }
    };
    seen.lock().unwrap().push(request.clone());
    let reply = handler(&request);
    std::thread::sleep(reply.delay);
    if reply.silent {
        let mut buf = [0u8; 4096];
        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        return Ok(());
    }
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.reason,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    stream.write_all(&reply.body)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

#[test]
fn records_requests_and_answers_from_the_handler() {
    use crate::common::bin;
    let s = HttpStandIn::start(|r| {
        if r.method == "POST" {
            Reply::status(422).body("application/json", r#"{"actionErrors":["no"]}"#)
        } else {
            Reply::json("{}")
        }
    });
    // The binary itself is the client: verify posts once, after a connect-only probe.
    let out = bin()
        .args(["verify", "--ingest-url", s.url(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["http_status"], 422, "{v}");
    assert_eq!(v["action_errors"][0], "no", "{v}");
    let seen = s.requests();
    assert_eq!(seen.len(), 1, "the probe is not a request: {seen:?}");
    assert_eq!(seen[0].line(), "POST /api/ingestData HTTP/1.1");
    assert_eq!(seen[0].header("Content-Type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert!(body["batchData"][0]["path"].is_string(), "{body}");
}

#[test]
fn a_delayed_answer_is_a_timeout_for_the_binary() {
    use crate::common::bin;
    // Connected, request read, answer late: what a stalled service does. Had the binary waited
    // for the answer it would have got `{}` and passed (exit 0); exit 1 with "no answer within
    // 1.0 s" proves it gave up first, with no clock in this test.
    let s = HttpStandIn::start(|_| Reply::json("{}").after(Duration::from_secs(3)));
    let out = bin()
        .args(["verify", "--ingest-url", s.url(), "--timeout", "1"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summary = v["summary"].as_str().unwrap();
    assert!(summary.contains("no answer within 1.0 s"), "{v}");
    assert_eq!(s.lines(), ["POST /api/ingestData HTTP/1.1"]);
}
