//! Starts the real server binary on a spare loopback port and stops it by its pid; plain
//! HTTP/1.1 over a socket for the tests that need bytes exactly as they travel.

#![allow(dead_code, clippy::unwrap_used)] // Each test file uses part of this; unwrap asserts.

use conformance::redis_server::RedisServer;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    /// Every line the server wrote to stderr so far.
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `session-core-server --port 0 ARGS` and waits for its "listening on" line.
    pub(crate) fn start(args: &[&str]) -> Server {
        Self::start_with_env(args, &[])
    }

    /// As [`Server::start`], with environment variables.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::launch(&[], args, env, true)
    }

    /// As [`Server::start`], run by `wrapper` (a command that runs the rest of its arguments
    /// in place of itself, such as `prlimit --nofile=1024:1024 --`), so the pid is the
    /// server's.
    pub(crate) fn start_wrapped(wrapper: &[&str], args: &[&str]) -> Server {
        Self::launch(wrapper, args, &[], true)
    }

    /// As [`Server::start`], then closes the read end of the server's stderr (as a log pipe
    /// whose reader went away): later log lines fail to write.
    pub(crate) fn start_then_close_stderr(args: &[&str]) -> Server {
        Self::launch(&[], args, &[], false)
    }

    fn launch(wrapper: &[&str], args: &[&str], env: &[(&str, &str)], keep_reading: bool) -> Server {
        let binary = env!("CARGO_BIN_EXE_session-core-server");
        let mut command = match wrapper {
            [] => Command::new(binary),
            [program, rest @ ..] => {
                let mut c = Command::new(program);
                c.args(rest).arg(binary);
                c
            }
        };
        let mut child = command
            .args(["--port", "0", "--wipe", "0"])
            .args(args)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let base = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("the server exited before listening: {:?}", log))
                .unwrap();
            log.lock().unwrap().push(line.clone());
            // The line that says the server is ready (not the warning that also says "listening on").
            if let Some(rest) = line.split("session-core-server listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        if keep_reading {
            // Keep draining stderr so the server never blocks on a full pipe.
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        Server { child, base, log }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }

    /// Whether a line of its stderr contains `text`.
    pub(crate) fn logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }

    /// The stderr lines so far, joined (for assertion messages).
    pub(crate) fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM (a graceful shutdown) without waiting.
    pub(crate) fn terminate(&self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    }

    /// Waits up to `limit` for the process to exit.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and waits for it.
    pub(crate) fn stop(mut self) {
        self.terminate();
        let status = self.wait_exit(Duration::from_secs(15));
        let status = status.expect("the server did not stop on SIGTERM");
        // A graceful stop exits 0; death by the signal itself (no handler yet) would not, and
        // would leave no snapshot.
        assert!(
            status.success(),
            "the server did not stop cleanly: {status}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every 20 ms until it holds; false if it still does not after `limit`.
pub(crate) fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An HTTP client that returns every status as a value.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends a request and returns (status, parsed JSON body or the raw text as a JSON string).
pub(crate) fn send(method: &str, url: &str, body: Option<&str>) -> (u16, Value) {
    let agent = agent();
    let mut resp = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        ("PUT", Some(b)) => agent.put(url).content_type("application/json").send(b),
        ("PUT", None) => agent.put(url).send_empty(),
        ("POST", Some(b)) => agent.post(url).content_type("application/json").send(b),
        ("POST", None) => agent.post(url).send_empty(),
        _ => panic!("unsupported method {method}"),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// An answer as it came over the wire.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    /// Header names in lower case, with their values.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
}

/// Writes `request` (bytes exactly as given) on a new connection, optionally half-closes it,
/// and reads one answer (the connection must send it within 15 s).
pub(crate) fn raw(addr: SocketAddr, request: &[u8], half_close: bool) -> Raw {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(request).unwrap();
    if half_close {
        s.shutdown(std::net::Shutdown::Write).unwrap();
    }
    read_answer(&mut s)
}

/// A request with `Connection: close` and, if given, a body with its length.
pub(crate) fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        r.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    r.push_str("\r\n");
    if let Some(b) = body {
        r.push_str(b);
    }
    r.into_bytes()
}

/// Reads one HTTP/1.1 answer (Content-Length framed; the server never chunks small answers).
pub(crate) fn read_answer(s: &mut TcpStream) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "the connection closed before an answer: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut body = buf[head_end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
    {
        // Read to the end of the chunks (the terminating 0-size chunk), then decode them.
        while !body.ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "the connection closed inside a chunked body");
            body.extend_from_slice(&chunk[..n]);
        }
        return Raw {
            status,
            headers,
            body: dechunk(&body),
        };
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    while body.len() < length {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "the connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Raw {
        status,
        headers,
        body,
    }
}

/// The data of a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line]).unwrap(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line + 2..line + 2 + size]);
        raw = &raw[line + 2 + size + 2..];
    }
}

/// Whether the server has closed `s` (EOF or reset) within `limit`.
pub(crate) fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut byte = [0u8; 1];
    loop {
        match s.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Adds the ACL user `web` (password `web-pass-1`) that the credential tests log in as.
pub(crate) fn add_web_user(redis: &RedisServer) {
    let acl = [
        "ACL",
        "SETUSER",
        "web",
        "on",
        ">web-pass-1",
        "~*",
        "&*",
        "+@all",
    ];
    assert_eq!(redis.cmd(&acl), "OK");
}
