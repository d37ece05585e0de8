//! Every route of the real binary, and the status codes of the HTTP contract.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

mod support;

use serde_json::{Value, json};
use support::{Server, send};

fn create(s: &Server, app: &str, id: &str) -> String {
    let (status, body) = send(
        "PUT",
        &s.url(&format!("/{app}/create/{id}?ip=10.0.0.1&ttl=3600")),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[test]
fn rest_sessions_routes_answer_like_rest_sessions() {
    let s = Server::start(&[]);
    assert_eq!(send("GET", &s.url("/ping"), None), (200, json!("PONG")));

    // create with a body: the body is `d`.
    let (status, body) = send(
        "PUT",
        &s.url("/shop/create/ann%40example.com?ip=10.0.0.1&ttl=3600"),
        Some(r#"{"theme":"dark"}"#),
    );
    assert_eq!(status, 200);
    let t = body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.len(), 64);

    let (status, session) = send("GET", &s.url(&format!("/shop/get/{t}")), None);
    assert_eq!(status, 200);
    assert_eq!(session["id"], "ann@example.com");
    assert_eq!(session["r"], 1);
    assert_eq!(session["ttl"], 3600);
    assert_eq!(session["d"], json!({"theme": "dark"}));

    let (status, session) = send(
        "POST",
        &s.url(&format!("/shop/set/{t}")),
        Some(r#"{"theme":null,"cart":2}"#),
    );
    assert_eq!(status, 200);
    assert_eq!(
        (session["w"].clone(), session["d"].clone()),
        (json!(2), json!({"cart": 2}))
    );

    let t2 = create(&s, "shop", "bob");
    assert_eq!(
        send("GET", &s.url("/shop/activity?dt=600"), None),
        (200, json!({"activity": 2}))
    );
    let (_, listed) = send("GET", &s.url("/shop/soapp?dt=600"), None);
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);
    let (_, listed) = send("GET", &s.url("/shop/soid/bob"), None);
    assert_eq!(listed["sessions"][0]["id"], "bob");
    assert_eq!(listed["sessions"][0]["handle"].as_str().unwrap().len(), 22);

    assert_eq!(
        send("DELETE", &s.url(&format!("/shop/kill/{t2}")), None),
        (200, json!({"kill": 1}))
    );
    // An unknown (or killed) token is `200 {}`, as rest-sessions clients expect.
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t2}")), None),
        (200, json!({}))
    );
    assert_eq!(
        send(
            "POST",
            &s.url(&format!("/shop/set/{t2}")),
            Some(r#"{"a":1}"#)
        ),
        (200, json!({}))
    );

    create(&s, "shop", "carl");
    create(&s, "shop", "carl");
    assert_eq!(
        send("DELETE", &s.url("/shop/killsoid/carl"), None),
        (200, json!({"kill": 2}))
    );
    assert_eq!(
        send("DELETE", &s.url("/shop/killall"), None),
        (200, json!({"kill": 1}))
    );
    assert_eq!(
        send("GET", &s.url("/shop/activity?dt=600"), None),
        (200, json!({"activity": 0}))
    );
}

#[test]
fn routes_beyond_rest_sessions() {
    let s = Server::start(&[]);
    let t = create(&s, "shop", "ann");
    let (status, session) = send("POST", &s.url(&format!("/shop/touch/{t}")), None);
    assert_eq!((status, session["r"].clone()), (200, json!(1)));
    let (status, session) = send("PUT", &s.url(&format!("/shop/ttl/{t}?ttl=60")), None);
    assert_eq!((status, session["ttl"].clone()), (200, json!(60)));

    let (status, body) = send("POST", &s.url(&format!("/shop/regenerate/{t}")), None);
    assert_eq!(status, 200);
    let t2 = body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t}")), None),
        (200, json!({}))
    );
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t2}")), None).1["id"],
        "ann"
    );

    let (_, listed) = send("GET", &s.url("/shop/soid/ann"), None);
    let handle = listed["sessions"][0]["handle"].as_str().unwrap().to_owned();
    assert_eq!(
        send("DELETE", &s.url(&format!("/shop/handle/{handle}")), None),
        (200, json!({"kill": 1}))
    );
    assert_eq!(
        send("POST", &s.url("/shop/sweep?limit=10"), None),
        (200, json!({"swept": 0, "more": false}))
    );
    assert_eq!(
        send("POST", &s.url("/sweep"), None),
        (200, json!({"swept": 0, "more": false}))
    );

    // The JSON call route takes the JS option object as is.
    let (status, body) = send(
        "POST",
        &s.url("/v1/create"),
        Some(r#"{"app":"shop","id":"dan","ip":"::1","no_resave":true}"#),
    );
    assert_eq!(status, 200);
    let t3 = body["token"].as_str().unwrap();
    let (_, session) = send(
        "POST",
        &s.url("/v1/get"),
        Some(&json!({"app": "shop", "token": t3}).to_string()),
    );
    assert_eq!(session["no_resave"], true);

    let (status, health) = send("GET", &s.url("/health"), None);
    assert_eq!(
        (status, health["status"].clone(), health["store"].clone()),
        (200, json!("ok"), json!("memory"))
    );
    assert_eq!(health["sessions"], 1);

    let (status, metrics) = send("GET", &s.url("/metrics"), None);
    assert_eq!(status, 200);
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains("session_core_requests_total{route=\"create\"} 2"),
        "{text}"
    );
    assert!(text.contains("session_core_sessions 1"), "{text}");
}

#[test]
fn status_codes_follow_the_contract() {
    let s = Server::start(&["--body-limit", "200"]);
    // A validation error: 400 with the redis-sessions name and a message naming the field.
    assert_eq!(
        send("PUT", &s.url("/ab/create/u1?ip=1.2.3.4"), None),
        (
            400,
            json!({"error": "invalidFormat", "message": "Invalid app format"})
        )
    );
    assert_eq!(
        send("PUT", &s.url("/shop/create/u1"), None),
        (
            400,
            json!({"error": "missingParameter", "message": "No ip supplied"})
        )
    );
    assert_eq!(
        send("GET", &s.url("/shop/get/short"), None),
        (
            400,
            json!({"error": "invalidFormat", "message": "Invalid token format"})
        )
    );
    assert_eq!(
        send("GET", &s.url("/shop/activity?dt=5"), None),
        (
            400,
            json!({"error": "invalidValue", "message": "dt must be a positive integer >= 10"})
        )
    );
    let t = create(&s, "shop", "u1");
    let (status, body) = send("POST", &s.url(&format!("/shop/set/{t}")), Some("[1,2]"));
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("d must be an object"))
    );
    let (status, body) = send("POST", &s.url(&format!("/shop/set/{t}")), Some("{not json"));
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalidValue"))
    );
    // A body over the limit: 413, and nothing changed.
    let big = json!({"k": "x".repeat(300)}).to_string();
    let (status, body) = send("POST", &s.url(&format!("/shop/set/{t}")), Some(&big));
    assert_eq!((status, body["error"].clone()), (413, json!("tooLarge")));
    assert_eq!(
        send("GET", &s.url(&format!("/shop/get/{t}")), None).1["w"],
        1
    );
    // Routes that do not exist: 404.
    assert_eq!(send("GET", &s.url("/nope"), None).0, 404);
    assert_eq!(send("GET", &s.url("/shop/create/u1"), None).0, 405);
    // The OpenAPI document describes every route.
    let (status, doc) = send("GET", &s.url("/openapi.json"), None);
    assert_eq!(status, 200);
    for path in [
        "/{app}/create/{id}",
        "/{app}/get/{token}",
        "/{app}/set/{token}",
        "/{app}/killall",
        "/ping",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    s.stop();
}

#[test]
fn a_python_client_using_only_the_standard_library_works() {
    let s = Server::start(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/client.py");
    let out = std::process::Command::new("python3")
        .args([script, &s.base])
        .output()
        .expect("python3 is needed for the cross-language client test");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok create get set kill"
    );
    let _: Value = Value::Null;
}

#[test]
fn a_snapshot_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("scs-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sessions.bin");
    let data = file.to_str().unwrap();

    let s = Server::start(&["--data", data]);
    let t = create(&s, "shop", "ann");
    send(
        "POST",
        &s.url(&format!("/shop/set/{t}")),
        Some(r#"{"cart":3}"#),
    );
    s.stop(); // SIGTERM: in-flight requests finish, then the snapshot is written.
    assert!(file.exists());

    let s = Server::start(&["--data", data]);
    let (status, session) = send("GET", &s.url(&format!("/shop/get/{t}")), None);
    assert_eq!(status, 200);
    assert_eq!(
        (session["id"].clone(), session["w"].clone()),
        (json!("ann"), json!(2))
    );
    assert_eq!(session["d"], json!({"cart": 3}));
    assert_eq!(
        send("GET", &s.url("/shop/activity?dt=600"), None).1,
        json!({"activity": 1})
    );
    s.stop();

    // A corrupt snapshot stops the server instead of silently logging everybody out.
    std::fs::write(&file, b"garbage").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_session-core-server"))
        .args(["--port", "0", "--data", data])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("snapshot is not readable"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn with_no_cap_a_listing_larger_than_a_page_is_streamed_whole() {
    let s = Server::start(&["--max-list", "0"]);
    let agent = support::agent();
    let n = session_core::ops::page::LIMIT_MAX as usize + 50;
    for i in 0..n {
        let url = s.url(&format!("/big/create/u{}?ip=10.0.0.1", i % 97));
        let mut r = agent.put(&url).send_empty().unwrap();
        r.body_mut().read_to_string().unwrap();
    }
    let answer = support::raw(
        s.addr(),
        &support::request("GET", "/big/soapp?dt=600", &[], None),
        false,
    );
    assert_eq!(answer.status, 200);
    // Written page by page, so its length is not known up front.
    assert_eq!(answer.header("transfer-encoding"), Some("chunked"));
    let listing = answer.json();
    assert!(
        listing.get("cursor").is_none(),
        "a whole listing has no cursor"
    );
    let sessions = listing["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), n);
    let handles: std::collections::HashSet<_> = sessions
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles.len(), n, "each session once");
    // A listing that fits in a page is answered in one piece, in its usual order.
    let (status, small) = send("GET", &s.url("/big/soid/u1"), None);
    assert_eq!(status, 200);
    assert!(small["sessions"].as_array().unwrap().len() > 100);
    s.stop();
}
