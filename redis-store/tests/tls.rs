//! TLS (`rediss://`) and credentials against real redis-servers: a throwaway CA and
//! certificates made with openssl, ACL users with passwords. Every refusal is a clear error
//! that says what happened, and never shows a password.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod common;

use common::RedisServer;
use conformance::redis_server::TlsFiles;
use session_core::{AsyncSessions, Create, Patch};
use session_core_redis::{ConnectError, RedisConfig, RedisStore};
use std::time::Duration;
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn ca(server: &RedisServer) -> Vec<u8> {
    TlsFiles::read(&server.tls_files().ca)
}

/// Connects, expecting a failure; returns it.
fn refused(rt: &Runtime, config: RedisConfig) -> ConnectError {
    let config = config
        .connect_timeout(Duration::from_secs(2))
        .reconnect_retries(0);
    match rt.block_on(config.connect()) {
        Ok(store) => panic!("connected: {store:?}"),
        Err(e) => e,
    }
}

/// A few operations through the store: create, set, get, list, kill.
fn exercise(rt: &Runtime, store: RedisStore) {
    let sessions = AsyncSessions::new(store);
    rt.block_on(async {
        let t = sessions
            .create(Create::new("shop", "ann", "::1").data(Patch::new().set("cart", 1)))
            .await
            .unwrap();
        let s = sessions
            .set("shop", &t, Patch::new().set("cart", 2))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.w, 2);
        let s = sessions.get("shop", &t).await.unwrap().unwrap();
        assert_eq!(s.d.unwrap().get("cart"), Some(serde_json::json!(2)));
        assert_eq!(sessions.soid("shop", "ann").await.unwrap().len(), 1);
        assert_eq!(sessions.kill("shop", &t).await.unwrap(), 1);
    });
}

#[test]
fn sessions_over_tls_with_a_private_ca() {
    let server = RedisServer::start_tls(false);
    let rt = runtime();
    let store = rt
        .block_on(
            RedisConfig::new(server.tls_url())
                .tls_ca(ca(&server))
                .connect(),
        )
        .unwrap();
    exercise(&rt, store);
    // It went through this server (its TLS port): the script ran there.
    assert!(server.calls("evalsha") >= 3);
    // The host name may be one the certificate lists instead of its address.
    let by_name = format!("rediss://localhost:{}/", server.tls_port());
    let store = rt
        .block_on(RedisConfig::new(by_name).tls_ca(ca(&server)).connect())
        .unwrap();
    exercise(&rt, store);
}

#[test]
fn a_client_certificate_for_a_server_that_asks_for_one() {
    let server = RedisServer::start_tls(true);
    let files = server.tls_files().clone();
    let rt = runtime();
    let config = || RedisConfig::new(server.tls_url()).tls_ca(TlsFiles::read(&files.ca));
    let e = refused(&rt, config());
    assert!(matches!(e, ConnectError::Tls(_)), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("Redis at 127.0.0.1:{}", server.tls_port())),
        "{text}"
    );
    assert!(text.contains("client certificate"), "{text}");
    let store = rt
        .block_on(
            config()
                .tls_client_cert(
                    TlsFiles::read(&files.client_cert),
                    TlsFiles::read(&files.client_key),
                )
                .connect(),
        )
        .unwrap();
    exercise(&rt, store);
}

#[test]
fn an_untrusted_server_certificate_is_a_clear_error() {
    let server = RedisServer::start_tls(false);
    let rt = runtime();
    // Another CA, then the system's roots: neither signed the server's certificate.
    let other = TlsFiles::read(&server.tls_files().other_ca);
    for config in [
        RedisConfig::new(server.tls_url()).tls_ca(other),
        RedisConfig::new(server.tls_url()),
    ] {
        let e = refused(&rt, config);
        assert!(matches!(e, ConnectError::Tls(_)), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot connect to Redis at 127.0.0.1:{}: ",
                server.tls_port()
            )),
            "{text}"
        );
        assert!(text.contains("not trusted"), "{text}");
    }
}

#[test]
fn tls_to_a_plain_port_and_plain_text_to_a_tls_port_are_clear_errors() {
    let server = RedisServer::start_tls(false);
    let rt = runtime();
    let to_plain = format!("rediss://127.0.0.1:{}/", server.port);
    let e = refused(&rt, RedisConfig::new(to_plain).tls_ca(ca(&server)));
    assert!(matches!(e, ConnectError::Tls(_)), "{e:?}");
    assert!(e.to_string().contains("TLS port"), "{e}");
    assert!(
        e.to_string().contains("did not complete the TLS handshake"),
        "{e}"
    );
    // The other way round, the server resets the connection: Redis gives no clue that it
    // wanted TLS, so this stays a plain (transient) connection error.
    let plain_to_tls = format!("redis://127.0.0.1:{}/", server.tls_port());
    let e = refused(&rt, RedisConfig::new(plain_to_tls));
    assert!(
        matches!(e, ConnectError::Redis(_)) && e.is_transient(),
        "{e:?}"
    );
    assert!(e.to_string().contains("reset"), "{e}");
}

#[test]
fn wrong_credentials_are_clear_errors_that_never_show_the_password() {
    let server = RedisServer::start_tls(false);
    assert_eq!(
        server.cmd(&[
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">app-pass-1",
            "~*",
            "&*",
            "+@all"
        ]),
        "OK"
    );
    let rt = runtime();
    let tls = |url: String| RedisConfig::new(url).tls_ca(ca(&server));
    let port = server.tls_port();
    let cases = [
        (
            tls(format!("rediss://app:wrong-pass-1@127.0.0.1:{port}/")),
            "\"app\"",
        ),
        (
            tls(format!("rediss://nobody:wrong-pass-1@127.0.0.1:{port}/")),
            "\"nobody\"",
        ),
        (
            tls(server.tls_url())
                .username("app")
                .password("wrong-pass-1"),
            "\"app\"",
        ),
    ];
    for (config, user) in cases {
        let e = refused(&rt, config);
        assert!(matches!(e, ConnectError::Auth(_)), "{e:?}");
        assert!(!e.is_transient());
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains("wrong-pass-1"),
            "the password leaked: {text}"
        );
        assert!(text.contains(user), "{text}");
        assert!(text.contains("WRONGPASS"), "{text}");
    }
    // The right password, in the URL or given apart (which wins over the URL's).
    let store = rt
        .block_on(tls(format!("rediss://app:app-pass-1@127.0.0.1:{port}/")).connect())
        .unwrap();
    exercise(&rt, store);
    let store = rt
        .block_on(
            tls(format!("rediss://app:stale@127.0.0.1:{port}/"))
                .password("app-pass-1")
                .connect(),
        )
        .unwrap();
    exercise(&rt, store);
    // A server that requires a password, and none is given.
    assert_eq!(
        server.cmd(&["CONFIG", "SET", "requirepass", "default-pass-1"]),
        "OK"
    );
    let e = refused(&rt, tls(server.tls_url()));
    assert!(matches!(e, ConnectError::Auth(_)), "{e:?}");
    assert!(e.to_string().contains("requires a password"), "{e}");
    let e = refused(&rt, tls(server.tls_url()).password("nope-pass-2"));
    assert!(matches!(e, ConnectError::Auth(_)), "{e:?}");
    assert!(!e.to_string().contains("nope-pass-2"), "{e}");
    let store = rt
        .block_on(tls(server.tls_url()).password("default-pass-1").connect())
        .unwrap();
    exercise(&rt, store);
}

#[test]
fn tls_settings_need_rediss_and_pem() {
    let server = RedisServer::start_tls(false);
    let rt = runtime();
    let pem = ca(&server);
    let cases = [
        (
            RedisConfig::new(server.url()).tls_ca(pem.clone()),
            "use rediss://",
        ),
        (
            RedisConfig::new(server.tls_url()).tls_ca("not a certificate"),
            "holds no certificate",
        ),
        (
            RedisConfig::new(server.tls_url())
                .tls_ca(pem.clone())
                .tls_client_cert(pem.clone(), "not a key"),
            "not a PEM private key",
        ),
        (
            RedisConfig::cluster([server.url()]).tls_ca(pem),
            "use rediss://",
        ),
    ];
    for (config, says) in cases {
        let e = refused(&rt, config);
        assert!(matches!(e, ConnectError::Config(_)), "{e:?}");
        assert!(e.to_string().contains(says), "{e}");
    }
}
