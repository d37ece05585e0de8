//! What the layer must do over HTTP, whatever the store: each function drives a running
//! [`TestServer`] built with [`routes`](super::routes).

use super::{Auth, TestServer, get_key, log_in, me, raw_status, send, set_key, token_of};
use serde_json::{Value, json};
use std::collections::HashSet;

/// `log_in` hands the token out in a cookie with the documented attributes and in an
/// `Authorization` header; the cookie, a bearer token and `x-access-token` each
/// authenticate; lookup order is Bearer, then x-access-token, then the cookie.
pub(crate) fn login_sets_the_cookie_and_each_source_authenticates(s: &TestServer) {
    let r = send(
        "POST",
        &s.url("/login/ann"),
        Auth::None,
        &[],
        Some(r#"{"theme":"dark"}"#),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let token = token_of(&r);
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(r.json()["token"], token.as_str());
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "a token: {r:?}"
    );
    assert_eq!(r.set_cookie.len(), 1, "{r:?}");
    let cookie = &r.set_cookie[0];
    assert!(cookie.starts_with(&format!("session={token}")), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(
            cookie.split("; ").any(|a| a == attr),
            "{attr} missing in {cookie}"
        );
    }
    assert!(
        !cookie.contains("Max-Age"),
        "a browser-session cookie: {cookie}"
    );

    for auth in [
        Auth::Cookie(&token),
        Auth::Bearer(&token),
        Auth::Header(&token),
    ] {
        let m = me(s, auth);
        assert_eq!(m["authenticated"], true, "{auth:?}");
        assert_eq!(m["user"], "ann");
        assert_eq!(
            m["ip"], "127.0.0.1",
            "the client's address from ConnectInfo"
        );
        assert_eq!(m["ttl"], 7200);
    }
    assert_eq!(get_key(s, &token, "theme"), "dark");
    assert_eq!(me(s, Auth::None)["authenticated"], false);

    // Order: Bearer, then x-access-token, then the cookie.
    let bob = log_in(s, "bob");
    let carl = log_in(s, "carl");
    let cookie_header = format!("session={carl}");
    let user = |headers: &[(&str, &str)]| {
        let r = send("GET", &s.url("/me"), Auth::None, headers, None);
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["user"].clone()
    };
    let bearer = format!("Bearer {token}");
    assert_eq!(
        user(&[
            ("authorization", &bearer),
            ("x-access-token", &bob),
            ("cookie", &cookie_header)
        ]),
        "ann"
    );
    assert_eq!(
        user(&[("x-access-token", &bob), ("cookie", &cookie_header)]),
        "bob"
    );
    assert_eq!(user(&[("cookie", &cookie_header)]), "carl");
    // The scheme is case-insensitive; other cookies around it do not matter.
    assert_eq!(user(&[("authorization", &format!("bearer {bob}"))]), "bob");
    assert_eq!(
        user(&[("cookie", &format!("a=1; session={carl}; b=2"))]),
        "carl"
    );
    // A malformed value counts as absent: the next source is used.
    assert_eq!(
        user(&[
            ("authorization", "Bearer not-a-token"),
            ("cookie", &cookie_header)
        ]),
        "carl"
    );
    assert_eq!(
        user(&[
            ("authorization", "Basic dXNlcjpwYXNz"),
            ("x-access-token", &bob)
        ]),
        "bob"
    );
    // A well-formed but dead token is no session: not looked up twice.
    let dead = "D".repeat(64);
    assert_eq!(
        user(&[
            ("authorization", &format!("Bearer {dead}")),
            ("cookie", &cookie_header)
        ]),
        Value::Null
    );
    // Never the URL.
    let r = send(
        "GET",
        &s.url(&format!("/me?token={token}&session={token}")),
        Auth::None,
        &[],
        None,
    );
    assert_eq!(r.json()["authenticated"], false);
}

/// Changes persist; `w` counts one write per changing request, none for a request that
/// changes nothing, sets a key to the value it has, or removes an absent key; a removed key
/// is gone.
pub(crate) fn changes_persist_and_an_unchanged_session_writes_nothing(s: &TestServer) {
    let t = log_in(s, "ann");
    let w = |t: &str| me(s, Auth::Bearer(t))["w"].as_u64().unwrap();
    let w0 = w(&t);
    assert_eq!(w0, 1, "log_in counts the first write");
    assert_eq!(set_key(s, &t, "theme", r#""dark""#).status, 200);
    assert_eq!(set_key(s, &t, "cart", "2").status, 200);
    assert_eq!(get_key(s, &t, "theme"), "dark");
    assert_eq!(get_key(s, &t, "cart"), 2);
    assert_eq!(w(&t), w0 + 2);
    // Same value again, removing an absent key, plain reads: no write.
    assert_eq!(set_key(s, &t, "theme", r#""dark""#).status, 200);
    assert_eq!(
        send(
            "POST",
            &s.url("/remove/nothing"),
            Auth::Bearer(&t),
            &[],
            None
        )
        .status,
        200
    );
    for _ in 0..3 {
        me(s, Auth::Bearer(&t));
    }
    assert_eq!(w(&t), w0 + 2);
    // A removal is written as null: the key is gone, the others stay.
    assert_eq!(
        send("POST", &s.url("/remove/theme"), Auth::Bearer(&t), &[], None).status,
        200
    );
    assert_eq!(get_key(s, &t, "theme"), Value::Null);
    assert_eq!(get_key(s, &t, "cart"), 2);
    assert_eq!(w(&t), w0 + 3);
    // r counts the reads of requests that took the session.
    let r1 = me(s, Auth::Bearer(&t))["r"].as_u64().unwrap();
    send("GET", &s.url("/plain"), Auth::Bearer(&t), &[], None);
    let r2 = me(s, Auth::Bearer(&t))["r"].as_u64().unwrap();
    assert_eq!(
        r2,
        r1 + 1,
        "a route that does not take the session reads nothing"
    );
}

/// A handler that answers 5xx after changing `d`: nothing is written. `save()` writes at
/// once and shows the new `w`.
pub(crate) fn a_server_error_skips_the_write_and_save_writes_at_once(s: &TestServer) {
    let t = log_in(s, "ann");
    let r = send(
        "POST",
        &s.url("/fail-after-change/k"),
        Auth::Bearer(&t),
        &[],
        None,
    );
    assert_eq!(r.status, 500);
    assert_eq!(get_key(s, &t, "k"), Value::Null);
    let r = send("POST", &s.url("/save-now/k"), Auth::Bearer(&t), &[], None);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json(), json!({"saved": true, "w": 2}));
    assert_eq!(get_key(s, &t, "k"), "saved");
    assert_eq!(
        me(s, Auth::Bearer(&t))["w"],
        2,
        "saved once, not again after the handler"
    );
}

/// `insert` refuses values that are not strings, finite numbers or booleans, with a typed
/// error (500, `invalidValue`), and nothing changes.
pub(crate) fn values_that_are_not_flat_are_typed_errors(s: &TestServer) {
    let t = log_in(s, "ann");
    for bad in ["[1,2]", r#"{"a":1}"#, "null"] {
        let r = set_key(s, &t, "k", bad);
        assert_eq!(r.status, 500, "{bad}: {r:?}");
        assert_eq!(r.json()["error"]["name"], "invalidValue", "{bad}");
    }
    for good in [r#""text""#, "1.5", "-3", "true"] {
        assert_eq!(set_key(s, &t, "k", good).status, 200, "{good}");
        assert_eq!(
            get_key(s, &t, "k"),
            serde_json::from_str::<Value>(good).unwrap()
        );
    }
    // log_in refuses nested initial data by the core's rule, and a bad user id.
    let r = send(
        "POST",
        &s.url("/login/ann"),
        Auth::None,
        &[],
        Some(r#"{"a":[1]}"#),
    );
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["name"], "invalidValue");
    // Without a session, insert is a 401.
    let r = set_key(s, &"Z".repeat(64), "k", "1");
    assert_eq!(r.status, 401);
}

/// Two requests that read the session at the same time and then change different keys keep
/// both changes: each writes only its key. (Had either written the whole data it read, it
/// would put the other's key back to `false`.) `a` and `b` may be two servers (processes) on
/// one store; each pair meets at a barrier after both have read.
pub(crate) fn concurrent_requests_changing_different_keys_keep_both(
    a: &TestServer,
    b: &TestServer,
) {
    let t = log_in(a, "ann");
    let rounds = 10;
    for i in 0..rounds {
        assert_eq!(set_key(a, &t, &format!("a{i}"), "false").status, 200);
        assert_eq!(set_key(b, &t, &format!("b{i}"), "false").status, 200);
        std::thread::scope(|scope| {
            let one = scope.spawn(|| {
                send(
                    "POST",
                    &a.url(&format!("/race/a{i}")),
                    Auth::Bearer(&t),
                    &[],
                    None,
                )
            });
            let two = scope.spawn(|| {
                send(
                    "POST",
                    &b.url(&format!("/race/b{i}")),
                    Auth::Cookie(&t),
                    &[],
                    None,
                )
            });
            assert_eq!(one.join().unwrap().status, 200);
            assert_eq!(two.join().unwrap().status, 200);
        });
    }
    for i in 0..rounds {
        assert_eq!(get_key(a, &t, &format!("a{i}")), true, "a{i} lost");
        assert_eq!(get_key(b, &t, &format!("b{i}")), true, "b{i} lost");
    }
    // And many at once, without a barrier: 16 requests, 16 keys.
    std::thread::scope(|scope| {
        for i in 0..16 {
            let (t, s) = (&t, if i % 2 == 0 { a } else { b });
            scope.spawn(move || {
                assert_eq!(set_key(s, t, &format!("k{i}"), &i.to_string()).status, 200)
            });
        }
    });
    for i in 0..16 {
        assert_eq!(get_key(a, &t, &format!("k{i}")), i);
    }
    assert_eq!(
        me(a, Auth::Bearer(&t))["w"],
        1 + 4 * rounds + 16,
        "every write counted once"
    );
}

/// A token planted in the victim's browser is dead after the victim logs in with it: the
/// victim gets a new token, and the planted one authenticates nobody.
pub(crate) fn a_planted_token_is_dead_after_log_in(s: &TestServer) {
    let planted = log_in(s, "mallory");
    let r = send(
        "POST",
        &s.url("/login/ann"),
        Auth::Cookie(&planted),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let fresh = token_of(&r);
    assert_ne!(fresh, planted);
    assert!(
        r.set_cookie[0].starts_with(&format!("session={fresh}")),
        "{r:?}"
    );
    assert_eq!(me(s, Auth::Cookie(&planted))["authenticated"], false);
    assert_eq!(me(s, Auth::Bearer(&planted))["authenticated"], false);
    let m = me(s, Auth::Cookie(&fresh));
    assert_eq!(
        (m["authenticated"].clone(), m["user"].clone()),
        (json!(true), json!("ann"))
    );
    // Logging in again rotates again.
    let again = token_of(&send(
        "POST",
        &s.url("/login/ann"),
        Auth::Bearer(&fresh),
        &[],
        None,
    ));
    assert_eq!(me(s, Auth::Bearer(&fresh))["authenticated"], false);
    assert_eq!(me(s, Auth::Bearer(&again))["authenticated"], true);
}

/// `log_out` ends the session and removes the cookie; `log_out_everywhere` ends every
/// session of the user and no one else's.
pub(crate) fn log_out_and_log_out_everywhere(s: &TestServer) {
    let t = log_in(s, "ann");
    let r = send("POST", &s.url("/logout"), Auth::Cookie(&t), &[], None);
    assert_eq!((r.status, r.json()), (200, json!(true)));
    assert_eq!(r.set_cookie.len(), 1);
    let removal = &r.set_cookie[0];
    assert!(removal.starts_with("session=;"), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
    assert_eq!(me(s, Auth::Cookie(&t))["authenticated"], false);
    let r = send("POST", &s.url("/logout"), Auth::Cookie(&t), &[], None);
    assert_eq!(r.json(), json!(false), "a dead token ends nothing");
    let r = send("POST", &s.url("/logout"), Auth::None, &[], None);
    assert_eq!(
        (r.json(), r.set_cookie.len()),
        (json!(false), 0),
        "no token, nothing to do"
    );

    let (ann1, ann2, bob) = (log_in(s, "ann"), log_in(s, "ann"), log_in(s, "bob"));
    let r = send(
        "POST",
        &s.url("/logout-everywhere"),
        Auth::Bearer(&ann1),
        &[],
        None,
    );
    assert_eq!((r.status, r.json()), (200, json!(2)));
    assert_eq!(me(s, Auth::Bearer(&ann1))["authenticated"], false);
    assert_eq!(me(s, Auth::Bearer(&ann2))["authenticated"], false);
    assert_eq!(me(s, Auth::Bearer(&bob))["authenticated"], true);
}

/// `active_sessions` lists the user's sessions by handle; one of them can be ended by its
/// handle, but not another user's, and not with a malformed handle.
pub(crate) fn active_sessions_list_handles_and_end_one_device(s: &TestServer) {
    let phone = log_in(s, "ann");
    let laptop = log_in(s, "ann");
    let bob = log_in(s, "bob");
    let r = send("GET", &s.url("/sessions"), Auth::Bearer(&laptop), &[], None);
    let handles: Vec<String> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(handles.len(), 2);
    let phone_handle = me(s, Auth::Bearer(&phone))["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let laptop_handle = me(s, Auth::Bearer(&laptop))["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_handle = me(s, Auth::Bearer(&bob))["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        handles.iter().collect::<HashSet<_>>(),
        [&phone_handle, &laptop_handle].into_iter().collect()
    );
    assert!(!handles.contains(&phone), "handles are not tokens");

    let end = |h: &str| {
        send(
            "POST",
            &s.url(&format!("/end/{h}")),
            Auth::Bearer(&laptop),
            &[],
            None,
        )
        .json()
    };
    assert_eq!(end(&bob_handle), json!(false), "another user's session");
    assert_eq!(end("not-a-handle"), json!(false));
    assert_eq!(end(&phone_handle), json!(true));
    assert_eq!(me(s, Auth::Bearer(&phone))["authenticated"], false);
    assert_eq!(me(s, Auth::Bearer(&bob))["authenticated"], true);
    assert_eq!(me(s, Auth::Bearer(&laptop))["authenticated"], true);
    let r = send("GET", &s.url("/sessions"), Auth::None, &[], None);
    assert_eq!(r.status, 401);
}

/// Forged and malformed tokens, in every place a token can come from, are no session: the
/// handler runs unauthenticated (never a 500), and the guard answers 401.
pub(crate) fn forged_and_malformed_tokens_are_no_session(s: &TestServer) {
    let long = "a".repeat(8000);
    let forged = "Q".repeat(64);
    let sixty_five = "b".repeat(65);
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![("authorization", format!("Bearer {forged}"))],
        vec![("x-access-token", forged.clone())],
        vec![("cookie", format!("session={forged}"))],
        vec![("authorization", "Bearer".into())],
        vec![("authorization", "Bearer ".into())],
        vec![("authorization", format!("Bearer {sixty_five}"))],
        vec![("x-access-token", "../../etc/passwd".into())],
        vec![("cookie", format!("session={long}"))],
        vec![("cookie", "session=\"quoted\"; session=; =; ;;".into())],
        vec![("cookie", format!("session={}", &forged[..63]))],
        vec![("authorization", format!("Bearer {forged} extra"))],
    ];
    for headers in &cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = send("GET", &s.url("/me"), Auth::None, &h, None);
        assert_eq!(r.status, 200, "{headers:?}: {r:?}");
        assert_eq!(r.json()["authenticated"], false, "{headers:?}");
        let r = send("GET", &s.url("/private"), Auth::None, &h, None);
        assert_eq!(r.status, 401, "{headers:?}");
    }
    // Bytes that are not UTF-8 in the headers a token may come from.
    for name in [
        "Cookie: session=",
        "Authorization: Bearer ",
        "X-Access-Token: ",
    ] {
        let mut req =
            format!("GET /me HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{name}").into_bytes();
        req.extend_from_slice(&[0xff, 0xfe, 0x80, b'a', b'b']);
        req.extend_from_slice(b"\r\n\r\n");
        assert_eq!(raw_status(&s.addr(), &req), 200, "{name}");
    }
}

/// `RequireSession` answers 401 with `WWW-Authenticate: Bearer` and no body, as an
/// extractor and as a route layer; with a live session the handler runs.
pub(crate) fn require_session_answers_401(s: &TestServer) {
    for path in ["/private", "/guarded/a"] {
        let r = send("GET", &s.url(path), Auth::None, &[], None);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(r.www_authenticate.as_deref(), Some("Bearer"));
        assert_eq!(r.body, "");
    }
    let t = log_in(s, "ann");
    let r = send("GET", &s.url("/private"), Auth::Cookie(&t), &[], None);
    assert_eq!((r.status, r.body.as_str()), (200, "ann"));
    let r = send("GET", &s.url("/guarded/a"), Auth::Header(&t), &[], None);
    assert_eq!((r.status, r.body.as_str()), (200, "guarded"));
}
