//! `request`: `Request::parse` with arbitrary option objects, and the typed constructors a
//! binding uses (`Request::on_token`, `Request::set_json`, `CreateArgs::request`), which must
//! validate exactly as `Request::parse` validates the same option object.

use crate::draw;
use crate::merge::check_data;
use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Value, json};
use session_core::input::OPERATIONS;
use session_core::sweep::LIMIT_MAX as SWEEP_LIMIT_MAX;
use session_core::validate::{MAX_SECONDS, MIN_SECONDS};
use session_core::{CreateArgs, Request};

/// The target.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=4u8) {
        Ok(0) => raw(&mut u),
        Ok(1) => structured(&mut u),
        Ok(2) => on_token(&mut u),
        Ok(3) => set_json(&mut u),
        Ok(_) => create_args(&mut u),
        Err(_) => Ok(()),
    };
}

/// An operation name: mostly a known one.
fn op_name(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(15, 16)? {
        Ok((*u.choose(OPERATIONS)?).to_owned())
    } else {
        draw::text(u)
    }
}

/// The option object as raw JSON bytes (whatever serde_json accepts).
fn raw(u: &mut Unstructured<'_>) -> Result<()> {
    let op = op_name(u)?;
    if let Ok(input) = serde_json::from_slice::<Value>(u.bytes(u.len())?) {
        check_parse(&op, &input);
    }
    Ok(())
}

/// The option object built from the bytes: plausible fields and values.
fn structured(u: &mut Unstructured<'_>) -> Result<()> {
    let op = op_name(u)?;
    let input = if draw::rare(u, 16)? {
        draw::value(u, 2)?
    } else {
        Value::Object(draw::object(u, 2)?)
    };
    check_parse(&op, &input);
    Ok(())
}

/// Parses, and checks the outcome: deterministic, a typed input error naming its field, or a
/// request whose every value obeys the documented rules.
fn check_parse(op: &str, input: &Value) {
    let parsed = Request::parse(op, input);
    let again = Request::parse(op, input);
    assert_eq!(
        format!("{parsed:?}"),
        format!("{again:?}"),
        "not deterministic"
    );
    match parsed {
        Err(e) => {
            crate::check_error(&e);
            assert!(e.is_input_error(), "parse failed with {e:?}");
            if !OPERATIONS.contains(&op) {
                assert_eq!(e.field(), Some("op"), "{e:?}");
            }
        }
        Ok(request) => {
            assert!(OPERATIONS.contains(&op), "{op:?} parsed");
            check_request(&request);
            if let Err(e) = request.into_op(1_700_000_000_000) {
                panic!("a parsed request did not become an operation: {e:?}");
            }
        }
    }
}

fn check_app(app: &session_core::App) {
    let a = app.as_str();
    assert!((3..=20).contains(&a.len()), "app {a:?}");
    assert!(
        a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "app {a:?}"
    );
}

fn check_text(t: &str, max: usize, what: &str) {
    let n = t.chars().count();
    assert!((1..=max).contains(&n), "{what} has {n} characters: {t:?}");
    assert!(!t.chars().any(char::is_control), "{what} {t:?}");
}

fn check_seconds(n: u64, what: &str) {
    assert!((MIN_SECONDS..=MAX_SECONDS).contains(&n), "{what} {n}");
}

fn check_page(page: &session_core::ops::PageArgs) {
    let max = session_core::ops::page::LIMIT_MAX;
    assert!((1..=max).contains(&page.limit), "page limit {}", page.limit);
}

/// Every value of a parsed request obeys the rules of the semantics table.
fn check_request(request: &Request) {
    match request {
        Request::Create(s) => {
            check_app(&s.app);
            check_text(s.id.as_str(), 128, "id");
            check_text(s.ip.as_ref(), 39, "ip");
            check_seconds(s.ttl, "ttl");
            if let Some(l) = s.lifetime {
                check_seconds(l, "lifetime");
            }
            if let Some(d) = &s.d {
                check_data(d);
            }
        }
        Request::Get(app, _)
        | Request::Touch(app, _)
        | Request::Regenerate(app, _)
        | Request::Kill(app, _)
        | Request::KillAll(app) => check_app(app),
        Request::Set(app, _, patch) => {
            check_app(app);
            assert!(!patch.is_empty(), "an empty patch");
        }
        Request::SetTtl(app, _, ttl) => {
            check_app(app);
            check_seconds(*ttl, "ttl");
        }
        Request::Activity(app, dt) | Request::Soapp(app, dt) => {
            check_app(app);
            assert!(*dt >= MIN_SECONDS, "dt {dt}");
        }
        Request::Soid(app, id) | Request::KillSoid(app, id) => {
            check_app(app);
            check_text(id.as_str(), 128, "id");
        }
        Request::SoappPage(app, dt, page) => {
            check_app(app);
            assert!(*dt >= MIN_SECONDS, "dt {dt}");
            check_page(page);
        }
        Request::SoidPage(app, id, page) => {
            check_app(app);
            check_text(id.as_str(), 128, "id");
            check_page(page);
        }
        Request::Sweep(app, limit) => {
            if let Some(app) = app {
                check_app(app);
            }
            assert!((0..=SWEEP_LIMIT_MAX).contains(limit), "limit {limit}");
        }
    }
}

/// The typed constructor's outcome must be the parser's, to the message.
fn same(typed: &std::result::Result<Request, session_core::Error>, op: &str, input: &Value) {
    let parsed = Request::parse(op, input);
    assert_eq!(
        format!("{typed:?}"),
        format!("{parsed:?}"),
        "the typed constructor and Request::parse disagree on {op} {input}"
    );
    match typed {
        Ok(r) => check_request(r),
        Err(e) => crate::check_error(e),
    }
}

fn on_token(u: &mut Unstructured<'_>) -> Result<()> {
    let op = *u.choose(&["get", "touch", "regenerate"])?;
    let (app, token) = (draw::text(u)?, draw::text(u)?);
    let typed = Request::on_token(op, &app, &token);
    same(&typed, op, &json!({"app": app, "token": token}));
    Ok(())
}

/// `d` as a binding passes it (JSON text), and the value the parser gets when that text is
/// JSON. The two paths agree whenever the text is JSON other than `null` or `""` (which the
/// parser reads as "not given", and a binding never passes as text).
fn data_text(u: &mut Unstructured<'_>) -> Result<(String, Option<Value>)> {
    let text = match u.int_in_range(0..=3u8)? {
        0 => draw::text(u)?,
        1 => serde_json::to_string(&draw::value(u, 2)?).unwrap_or_default(),
        _ => serde_json::to_string(&draw::data_object(u)?).unwrap_or_default(),
    };
    let value = serde_json::from_str::<Value>(&text)
        .ok()
        .filter(|v| !v.is_null() && v.as_str() != Some(""));
    Ok((text, value))
}

fn set_json(u: &mut Unstructured<'_>) -> Result<()> {
    let (app, token) = (draw::text(u)?, draw::text(u)?);
    let (d, value) = data_text(u)?;
    let typed = Request::set_json(&app, &token, &d);
    match value {
        Some(v) => same(&typed, "set", &json!({"app": app, "token": token, "d": v})),
        None => {
            if let Err(e) = &typed {
                crate::check_error(e);
            }
        }
    }
    Ok(())
}

fn create_args(u: &mut Unstructured<'_>) -> Result<()> {
    let (app, id, ip) = (draw::text(u)?, draw::text(u)?, draw::text(u)?);
    let seconds = |u: &mut Unstructured<'_>| -> Result<Option<u64>> {
        Ok(if bool::arbitrary(u)? {
            draw::number(u)?.as_u64()
        } else {
            None
        })
    };
    let (ttl, lifetime) = (seconds(u)?, seconds(u)?);
    let no_resave = bool::arbitrary(u)?;
    let d = if bool::arbitrary(u)? {
        Some(data_text(u)?)
    } else {
        None
    };
    let args = CreateArgs {
        app: &app,
        id: &id,
        ip: &ip,
        ttl,
        d: d.as_ref().map(|(text, _)| text.as_str()),
        no_resave,
        lifetime,
    };
    let typed = args.request();
    let mut input = Map::new();
    input.insert("app".into(), json!(app));
    input.insert("id".into(), json!(id));
    input.insert("ip".into(), json!(ip));
    input.insert("no_resave".into(), json!(no_resave));
    if let Some(t) = ttl {
        input.insert("ttl".into(), json!(t));
    }
    if let Some(l) = lifetime {
        input.insert("lifetime".into(), json!(l));
    }
    match d {
        Some((_, None)) => {
            if let Err(e) = &typed {
                crate::check_error(e);
            }
            return Ok(());
        }
        Some((_, Some(v))) => {
            input.insert("d".into(), v);
        }
        None => {}
    }
    same(&typed, "create", &Value::Object(input));
    Ok(())
}
