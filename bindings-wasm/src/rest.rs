//! The core's `rest` module for the Cloudflare Worker (`worker/index.mjs`): the Worker moves
//! bytes between the request, its Durable Objects and the response, and asks these functions
//! everything else, so that it answers exactly as the REST server does.
//!
//! Replies cross as JSON text `{"status", "type", "body", "headers"}`, written here by hand
//! (no `Value` trees: they would cost the module kilobytes of map code).

use serde_json::Value;
use session_core::host::write_str;
use session_core::rest::{self, Auth, Endpoint, Reply, RestError};
use wasm_bindgen::prelude::wasm_bindgen;

/// Appends a reply as `{"status", "type", "body", "headers"}`.
fn write_reply(out: &mut String, r: &Reply) {
    out.push_str("{\"status\":");
    out.push_str(&r.status.to_string());
    out.push_str(",\"type\":");
    write_str(out, r.content_type);
    out.push_str(",\"body\":");
    write_str(out, &r.body);
    out.push_str(",\"headers\":{");
    for (i, (k, v)) in r.headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, k);
        out.push(':');
        write_str(out, v);
    }
    out.push_str("}}");
}

fn reply_json(r: &Reply) -> String {
    let mut out = String::with_capacity(64 + r.body.len());
    write_reply(&mut out, r);
    out
}

/// `{"reply": ...}`.
fn wrapped(r: &Reply) -> String {
    let mut out = String::from("{\"reply\":");
    write_reply(&mut out, r);
    out.push('}');
    out
}

/// What `method` on `path` asks for: `{"endpoint": "health"|"metrics"|"openapi"}`,
/// `{"call": {"op", "metric", "app", "body"}}` (`body`: read it and pass it to `restInput`),
/// or `{"reply": ...}`, the answer (`/ping`'s, or an error).
#[wasm_bindgen(js_name = restRoute)]
pub fn rest_route(method: &str, path: &str) -> String {
    let endpoint = match rest::route(method, path) {
        Ok(Endpoint::Call(c)) => {
            let mut out = String::from("{\"call\":{\"op\":");
            write_str(&mut out, c.op());
            out.push_str(",\"metric\":");
            write_str(&mut out, c.metric());
            if let Some(app) = c.app() {
                out.push_str(",\"app\":");
                write_str(&mut out, app);
            }
            out.push_str(if c.reads_body() {
                ",\"body\":true}}"
            } else {
                ",\"body\":false}}"
            });
            return out;
        }
        Ok(Endpoint::Ping) => return wrapped(&rest::pong()),
        Ok(Endpoint::Health) => "health",
        Ok(Endpoint::Metrics) => "metrics",
        Ok(_) => "openapi",
        Err(e) => return wrapped(&e.reply()),
    };
    format!("{{\"endpoint\":\"{endpoint}\"}}")
}

/// The option object of the operation `method` on `path` names, from the query (without its
/// `?`) and the body, with listings capped at `max_list` sessions (0: no cap):
/// `{"input": ...}` or `{"reply": ...}`.
#[wasm_bindgen(js_name = restInput)]
pub fn rest_input(method: &str, path: &str, query: &str, body: &str, max_list: u32) -> String {
    let built = match rest::route(method, path) {
        Ok(Endpoint::Call(c)) => c.input(Some(query), body.as_bytes()).map(|mut input| {
            c.cap_listing(&mut input, max_list);
            input
        }),
        Ok(_) => Ok(Value::Null),
        Err(e) => Err(e),
    };
    match built {
        Ok(input) => format!("{{\"input\":{input}}}"),
        Err(e) => wrapped(&e.reply()),
    }
}

/// The reply to an object's answer: `{"done":<result>}` exactly so (what `JSON.stringify`
/// writes: the result's text is passed on as it is, so its keys keep their order), or
/// `{"error": {"name", "message"}}`.
#[wasm_bindgen(js_name = restAnswer)]
pub fn rest_answer(answer_json: &str) -> String {
    let done = answer_json
        .strip_prefix("{\"done\":")
        .and_then(|rest| rest.strip_suffix('}'));
    let reply = match done {
        // `null` (an unknown token) is `{}`, as rest-sessions clients expect.
        Some("null") => Reply::json("{}".to_owned()),
        Some(result) => Reply::json(result.to_owned()),
        None => {
            let answer: Value = serde_json::from_str(answer_json).unwrap_or(Value::Null);
            let name = answer["error"]["name"].as_str().unwrap_or("storeError");
            let message = answer["error"]["message"]
                .as_str()
                .unwrap_or("an unreadable answer");
            let mut body = String::from("{\"error\":");
            write_str(&mut body, name);
            body.push_str(",\"message\":");
            write_str(&mut body, message);
            body.push('}');
            Reply {
                status: rest::error_status(name),
                ..Reply::json(body)
            }
        }
    };
    reply_json(&reply)
}

/// The reply to a body the Worker could not take: `kind` "tooLarge" (`detail`: the limit in
/// bytes) or "unreadable" (`detail`: why).
#[wasm_bindgen(js_name = restBodyError)]
pub fn rest_body_error(kind: &str, detail: &str) -> String {
    let e = match kind {
        "tooLarge" => RestError::too_large(detail.parse().unwrap_or(0)),
        _ => RestError::unreadable(detail),
    };
    reply_json(&e.reply())
}

/// The reply that refuses a request for `path` without the shared secret `token`, or an empty
/// string when it may pass (see the core's `rest::Auth`).
#[wasm_bindgen(js_name = restAuth)]
pub fn rest_auth(token: &str, path: &str, authorization: Option<String>) -> String {
    match Auth::new(token).check(path, authorization.as_deref().map(str::as_bytes)) {
        Ok(()) => String::new(),
        Err(e) => reply_json(&e.reply()),
    }
}

/// The text of `/metrics` from counts `{"requests": {route: n}, "errors": {route: n},
/// "sessions": n}`.
#[wasm_bindgen(js_name = restMetrics)]
pub fn rest_metrics(counts_json: &str) -> String {
    let counts: Value = serde_json::from_str(counts_json).unwrap_or(Value::Null);
    let column = |kind: &str| -> Vec<u64> {
        rest::METRIC_ROUTES
            .iter()
            .map(|r| counts[kind][*r].as_u64().unwrap_or(0))
            .collect()
    };
    rest::render_metrics(
        &column("requests"),
        &column("errors"),
        counts["sessions"].as_u64(),
    )
}
