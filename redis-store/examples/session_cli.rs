//! A tiny command line over the Redis store: creates or reads one session and prints the
//! result as JSON, as every binding answers it. The Node binding's tests use it to check that
//! Rust and Node read each other's sessions (one format).
//!
//! ```text
//! cargo run -q -p session-core-redis --example session_cli -- <redis-url> create <app> <id> [namespace]
//! cargo run -q -p session-core-redis --example session_cli -- <redis-url> get <app> <token> [namespace]
//! ```
//!
//! `create` prints `{"token":"…"}` (the session's ip is `127.0.0.1`); `get` prints the session
//! (`{"id":…,"r":…,"w":…,…}`) or `null`. The namespace defaults to `rs`. Errors go to stderr,
//! with exit status 1 (2 for a usage error).

use serde_json::json;
use session_core::AsyncSessions;
use session_core_redis::RedisConfig;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: session_cli <redis-url> create|get <app> <id|token> [namespace]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, op, app, who, namespace) = match args.as_slice() {
        [url, op, app, who] => (url, op, app, who, "rs"),
        [url, op, app, who, ns] => (url, op, app, who, ns.as_str()),
        _ => return usage(),
    };
    let input = match op.as_str() {
        "create" => json!({"app": app, "id": who, "ip": "127.0.0.1"}),
        "get" => json!({"app": app, "token": who}),
        _ => return usage(),
    };
    let store = match RedisConfig::new(url.as_str())
        .namespace(namespace)
        .connect()
        .await
    {
        Ok(store) => store,
        Err(e) => return fail(&e),
    };
    let sessions = AsyncSessions::new(store).with_auto_sweep(None);
    match sessions.call(op, &input).await {
        Ok(result) => match writeln!(std::io::stdout().lock(), "{result}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
        Err(e) => fail(&e),
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("session_cli: {e}");
    ExitCode::FAILURE
}
