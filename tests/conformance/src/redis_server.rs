//! Real `redis-server` processes for tests: on spare loopback ports, in temp dirs, killed by
//! pid when dropped. A missing `redis-server` fails the tests; it never skips them.
//!
//! [`RedisServer::start_tls`] also serves TLS, with a throwaway CA and certificates that
//! `openssl` makes in the server's temp dir ([`TlsFiles`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One `redis-server` on 127.0.0.1.
pub struct RedisServer {
    /// The loopback port it listens on (plain text).
    pub port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
    /// With [`RedisServer::start_tls`]: its TLS port and certificates.
    tls: Option<(u16, TlsFiles)>,
}

impl RedisServer {
    /// A fresh standalone server.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A fresh server with extra command-line arguments (cluster mode).
    pub fn start_with(extra: &[&str]) -> Self {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        Self::launch("redis-server", !extra.is_empty(), |_| Ok(extra.clone()))
    }

    /// Starts a server on a spare port (whose bus port +10000 is free too, for `cluster`), in
    /// a temp dir of its own, with the arguments `configure` gives for that dir (it may write
    /// files there); tries 10 ports, then panics naming `what`.
    fn launch(
        what: &str,
        cluster: bool,
        configure: impl Fn(&Path) -> Result<Vec<String>, String>,
    ) -> Self {
        let mut last = String::new();
        for _ in 0..10 {
            let port = spare_port(cluster);
            let dir = temp_dir(port);
            let extra = match configure(&dir) {
                Ok(extra) => extra,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let mut server = Self {
                port,
                dir,
                extra,
                child: None,
                tls: None,
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("could not start {what}: {last}");
    }

    /// A fresh standalone server that also serves TLS on a second port: `tls_url()`, with a
    /// server certificate for `127.0.0.1` and `localhost` signed by a throwaway CA
    /// (`tls_files()`). With `auth_clients`, clients must present a certificate that CA
    /// signed (`--tls-auth-clients yes`). The plain port stays open for the tests' own
    /// commands ([`RedisServer::cmd`]).
    pub fn start_tls(auth_clients: bool) -> Self {
        let mut last = String::new();
        for _ in 0..10 {
            let (port, tls_port) = (spare_port(false), spare_port(false));
            if port == tls_port {
                continue;
            }
            let dir = temp_dir(port);
            let files = TlsFiles::make(&dir.join("tls"));
            let path = |p: &Path| p.to_string_lossy().into_owned();
            let extra = vec![
                "--tls-port".to_owned(),
                tls_port.to_string(),
                "--tls-cert-file".to_owned(),
                path(&files.server_cert),
                "--tls-key-file".to_owned(),
                path(&files.server_key),
                "--tls-ca-cert-file".to_owned(),
                path(&files.ca),
                "--tls-auth-clients".to_owned(),
                (if auth_clients { "yes" } else { "no" }).to_owned(),
            ];
            let mut server = Self {
                port,
                dir,
                extra,
                child: None,
                tls: Some((tls_port, files)),
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("could not start redis-server with TLS: {last}");
    }

    /// `redis://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The TLS port of a server from [`RedisServer::start_tls`].
    pub fn tls_port(&self) -> u16 {
        self.tls
            .as_ref()
            .expect("a server started with start_tls")
            .0
    }

    /// `rediss://127.0.0.1:TLS_PORT/` (a server from [`RedisServer::start_tls`]).
    pub fn tls_url(&self) -> String {
        format!("rediss://127.0.0.1:{}/", self.tls_port())
    }

    /// The CA and certificates of a server from [`RedisServer::start_tls`].
    pub fn tls_files(&self) -> &TlsFiles {
        &self
            .tls
            .as_ref()
            .expect("a server started with start_tls")
            .1
    }

    /// Kills the server (SIGKILL, by pid) and waits for it; the port is free afterwards.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): it keeps its connections but answers nothing.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("the server is running").id();
        let status = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {sig} {pid} failed");
    }

    /// Starts the server again on the same port and directory (empty: nothing is persisted).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("redis-server did not restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Starts it again (after [`RedisServer::stop`]) as a replica of the master at `port`
    /// that can never be promoted (`replica-priority 0`): how a supervisor must bring back a
    /// master without persistence after a failover. Empty, it would otherwise be a
    /// candidate for the next failover, and its promotion would lose every write (Redis's
    /// documentation warns of it; a spurious second failover on a loaded machine does it).
    pub fn restart_as_replica_of(&mut self, port: u16) {
        let port = port.to_string();
        for arg in ["--replicaof", "127.0.0.1", &port, "--replica-priority", "0"] {
            self.extra.push(arg.to_owned());
        }
        self.restart();
    }

    /// Sends one command (RESP) and returns the raw reply text.
    pub fn cmd(&self, args: &[&str]) -> String {
        raw_command(self.port, args).unwrap_or_else(|e| panic!("{args:?} on {}: {e}", self.port))
    }

    /// How many times `command` ran, from INFO commandstats (`evalsha`, `eval`, ...).
    pub fn calls(&self, command: &str) -> u64 {
        let info = self.cmd(&["INFO", "commandstats"]);
        let prefix = format!("cmdstat_{command}:calls=");
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn spawn(&mut self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        let port = self.port.to_string();
        let dir = self.dir.to_str().ok_or("temp dir is not UTF-8")?;
        let log = format!("{dir}/redis.log");
        // A sentinel's config file (which it rewrites) must come first.
        let sentinel = self.extra.get(1).is_some_and(|a| a == "--sentinel");
        let (conf, extra) = self.extra.split_at(if sentinel { 1 } else { 0 });
        let mut args: Vec<&str> = conf.iter().map(String::as_str).collect();
        args.extend([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            dir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            &log,
        ]);
        args.extend(extra.iter().map(String::as_str));
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed (not on PATH). The Redis store tests need a real \
                 server: install it (Debian/Ubuntu: apt-get install -y redis-server) and run \
                 the tests again."
            ),
            Err(e) => panic!("cannot run redis-server: {e}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_string(&mut err);
                }
                return Err(format!(
                    "redis-server on port {} exited ({status}): {err}{}",
                    self.port,
                    self.log_tail()
                ));
            }
            if raw_command(self.port, &["PING"]).is_ok_and(|r| r == "PONG") {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "redis-server on port {} did not answer PING{}",
                    self.port,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("\nlog:\n{tail}")
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A throwaway CA and the certificates it signed, made by `openssl` (EC P-256, valid two
/// days), as PEM files: the server's (for `127.0.0.1` and `localhost`), a client's, and a
/// second CA that signed nothing here (to test an untrusted server).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// The server's certificate and key.
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// A client certificate the CA signed.
    pub client_cert: PathBuf,
    /// Its private key.
    pub client_key: PathBuf,
    /// Another CA, unrelated to the certificates.
    pub other_ca: PathBuf,
}

impl TlsFiles {
    /// Makes the files in `dir` (created if needed).
    pub fn make(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("create the TLS dir");
        let openssl = |args: &[&str]| {
            let out = match Command::new("openssl").args(args).current_dir(dir).output() {
                Ok(out) => out,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                    "openssl is not installed (not on PATH); the TLS tests make their \
                     certificates with it (Debian/Ubuntu: apt-get install -y openssl)"
                ),
                Err(e) => panic!("cannot run openssl: {e}"),
            };
            assert!(
                out.status.success(),
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let (key, crt, subj) = (
                format!("{ca}.key"),
                format!("{ca}.crt"),
                format!("/CN=session-core test {ca}"),
            );
            let mut args = vec!["req", "-x509"];
            args.extend(ec);
            args.extend([
                "-keyout",
                &key,
                "-out",
                &crt,
                "-days",
                "2",
                "-subj",
                &subj,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
            openssl(&args);
        }
        static SERIAL: AtomicUsize = AtomicUsize::new(1);
        for (leaf, cn, ext) in [
            (
                "server",
                "localhost",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
            ),
            (
                "client",
                "session-core test client",
                "extendedKeyUsage=clientAuth\n",
            ),
        ] {
            let ext_file = format!("{leaf}.ext");
            std::fs::write(
                dir.join(&ext_file),
                format!("{ext}basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"),
            )
            .expect("write the extensions file");
            let (key, csr, crt, subj) = (
                format!("{leaf}.key"),
                format!("{leaf}.csr"),
                format!("{leaf}.crt"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req"];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            openssl(&args);
            let serial = format!(
                "{}{}",
                std::process::id(),
                SERIAL.fetch_add(1, Ordering::Relaxed)
            );
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-set_serial",
                &serial,
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &ext_file,
            ]);
        }
        Self {
            ca: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
            other_ca: dir.join("other-ca.crt"),
        }
    }

    /// A file's bytes.
    pub fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}

/// A local cluster of masters, no replicas.
pub struct Cluster {
    /// The masters, in creation order.
    pub nodes: Vec<RedisServer>,
}

impl Cluster {
    /// Starts `n` masters and joins them with `redis-cli --cluster create`.
    pub fn start(n: usize) -> Self {
        let nodes: Vec<RedisServer> = (0..n)
            .map(|_| {
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                ])
            })
            .collect();
        let mut cmd = Command::new("redis-cli");
        cmd.arg("--cluster").arg("create");
        for node in &nodes {
            cmd.arg(format!("127.0.0.1:{}", node.port));
        }
        cmd.args(["--cluster-replicas", "0", "--cluster-yes"]);
        let out = match cmd.stdin(Stdio::null()).output() {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-cli is not installed (not on PATH); it comes with redis-server \
                 (Debian/Ubuntu: apt-get install -y redis-server)"
            ),
            Err(e) => panic!("cannot run redis-cli: {e}"),
        };
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Self { nodes };
        cluster.wait_until_ok();
        cluster
    }

    /// Every node's URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    fn wait_until_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = self.nodes.iter().all(|n| {
                raw_command(n.port, &["CLUSTER", "INFO"]).is_ok_and(|i| {
                    i.contains("cluster_state:ok") && i.contains("cluster_slots_ok:16384")
                })
            });
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "the cluster did not become ok");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A port that is free now (and, for cluster nodes, whose bus port +10000 is free too).
fn spare_port(cluster: bool) -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        if !cluster {
            return port;
        }
        if port <= 55_535 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn temp_dir(port: u16) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    Path::new(&std::env::temp_dir()).join(format!(
        "session-core-redis-{}-{n}-{port}",
        std::process::id()
    ))
}

/// One command over a fresh TCP connection, in RESP; the reply rendered as plain text
/// (simple and bulk strings as they are, integers as digits, arrays one item per line).
pub fn raw_command(port: u16, args: &[&str]) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    read_reply(&mut reader)
}

fn read_reply(r: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(rest.to_owned()),
        "$" => {
            let n: i64 = rest.parse().map_err(|_| format!("bad length {rest}"))?;
            if n < 0 {
                return Ok(String::new());
            }
            let mut buf = vec![0; usize::try_from(n).unwrap_or(0) + 2];
            r.read_exact(&mut buf).map_err(|e| e.to_string())?;
            buf.truncate(buf.len() - 2);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        "*" => {
            let n: i64 = rest.parse().map_err(|_| format!("bad length {rest}"))?;
            let items: Result<Vec<String>, String> = (0..n.max(0)).map(|_| read_reply(r)).collect();
            Ok(items?.join("\n"))
        }
        _ => Err(format!("unexpected reply line {line:?}")),
    }
}

/// A master, one replica, and three sentinels watching them (under the name
/// [`Sentinels::MASTER`]), on spare loopback ports. The sentinels declare the master down
/// after one second without an answer, so a failover takes a few seconds.
pub struct Sentinels {
    /// The master, then the replica (which the sentinels promote when the master dies).
    pub servers: Vec<RedisServer>,
    /// The three sentinels (`redis-server <conf> --sentinel`).
    pub sentinels: Vec<RedisServer>,
}

impl Sentinels {
    /// The name the sentinels know the master by.
    pub const MASTER: &'static str = "mymaster";

    /// Starts the master, its replica (caught up), and three sentinels that see both.
    pub fn start() -> Self {
        let master = RedisServer::start();
        let port = master.port.to_string();
        let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &port]);
        wait_for(Duration::from_secs(20), "the replica to sync", || {
            replica
                .cmd(&["INFO", "replication"])
                .contains("master_link_status:up")
        });
        let sentinels: Vec<RedisServer> = (0..3)
            .map(|_| RedisServer::start_sentinel(master.port))
            .collect();
        wait_for(
            Duration::from_secs(20),
            "the sentinels to see each other and the replica",
            || {
                sentinels.iter().all(|s| {
                    let info = s.cmd(&["SENTINEL", "master", Self::MASTER]);
                    let field = |name: &str| {
                        let mut lines = info.lines();
                        lines.find(|l| *l == name)?;
                        lines.next().map(str::to_owned)
                    };
                    field("num-other-sentinels").as_deref() == Some("2")
                        && field("num-slaves").as_deref() == Some("1")
                })
            },
        );
        Self {
            servers: vec![master, replica],
            sentinels,
        }
    }

    /// `redis+sentinel://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C/mymaster`
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self.addrs();
        format!("redis+sentinel://{}/{}", hosts.join(","), Self::MASTER)
    }

    /// The sentinels' `127.0.0.1:port`.
    pub fn addrs(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect()
    }

    /// The port of the master every sentinel has switched to (`None` while they disagree,
    /// or a failover is still in progress).
    pub fn master_port(&self) -> Option<u16> {
        let named: Vec<Option<u16>> = self
            .sentinels
            .iter()
            .map(|s| {
                let info = raw_command(s.port, &["SENTINEL", "master", Self::MASTER]).ok()?;
                let mut lines = info.lines();
                lines.find(|l| *l == "port")?;
                lines.next()?.parse().ok()
            })
            .collect();
        named
            .windows(2)
            .all(|w| w[0] == w[1])
            .then(|| named[0])
            .flatten()
    }
}

impl RedisServer {
    /// A sentinel watching the master on `master_port` (quorum 2, down after 1 s).
    fn start_sentinel(master_port: u16) -> Self {
        Self::launch("a sentinel", false, |dir| {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            let conf = dir.join("sentinel.conf");
            let text = format!(
                "sentinel monitor {m} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {m} 1000\n\
                 sentinel failover-timeout {m} 3000\n\
                 sentinel parallel-syncs {m} 1\n",
                m = Sentinels::MASTER
            );
            std::fs::write(&conf, text).map_err(|e| e.to_string())?;
            Ok(vec![
                conf.to_string_lossy().into_owned(),
                "--sentinel".to_owned(),
            ])
        })
    }
}

/// Waits until `ready` holds, or panics naming `what`.
fn wait_for(limit: Duration, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
