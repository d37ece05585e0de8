//! Operation inputs: typed builders for Rust callers, and parsers for the option objects that
//! JavaScript and HTTP callers pass (as JSON values).
//!
//! Both paths end in the same validated types and check fields in the same documented order,
//! so every binding reports the same first error for the same input.

use crate::data::{Data, Patch};
use crate::error::Error;
use crate::token::Handle;
use crate::validate::{self, App, DEFAULT_TTL, Ip, UserId};
use serde_json::{Map, Value};

/// The input of `create`, before validation.
///
/// ```
/// use session_core::{Create, Patch};
/// let input = Create::new("shop", "user@example.com", "10.0.0.1")
///     .ttl(3600)
///     .data(Patch::new().set("theme", "dark"))
///     .validate()
///     .unwrap();
/// assert_eq!(input.ttl, 3600);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Create {
    app: String,
    id: String,
    ip: String,
    ttl: Option<u64>,
    d: Option<Patch>,
    no_resave: bool,
    lifetime: Option<u64>,
}

impl Create {
    /// A session for user `id` of `app`, from address `ip`.
    pub fn new(app: impl Into<String>, id: impl Into<String>, ip: impl Into<String>) -> Self {
        Self {
            app: app.into(),
            id: id.into(),
            ip: ip.into(),
            ..Self::default()
        }
    }

    /// The idle TTL in seconds (default 7200).
    pub fn ttl(mut self, seconds: u64) -> Self {
        self.ttl = Some(seconds);
        self
    }

    /// Initial data; `null` values are dropped.
    pub fn data(mut self, d: Patch) -> Self {
        self.d = Some(d);
        self
    }

    /// When true, the expiry does not slide: the session ends `ttl` seconds after creation.
    pub fn no_resave(mut self, yes: bool) -> Self {
        self.no_resave = yes;
        self
    }

    /// An absolute lifetime in seconds: the session ends then, however active it is.
    pub fn lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = Some(seconds);
        self
    }

    /// Checks every field, in the documented order.
    pub fn validate(self) -> Result<NewSession, Error> {
        let app = App::new(self.app)?;
        let id = UserId::new(self.id)?;
        let ip = Ip::new(self.ip)?;
        let ttl = validate::seconds("ttl", self.ttl.unwrap_or(DEFAULT_TTL))?;
        let d = match self.d {
            Some(p) if p.is_empty() => {
                return Err(Error::value("d", "d must contain at least one key"));
            }
            Some(p) => Data::merge(None, &p)?,
            None => None,
        };
        let lifetime = self
            .lifetime
            .map(|l| validate::seconds("lifetime", l))
            .transpose()?;
        Ok(NewSession {
            app,
            id,
            ip,
            ttl,
            d,
            no_resave: self.no_resave,
            lifetime,
        })
    }
}

/// A validated `create` input.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The app.
    pub app: App,
    /// The user id.
    pub id: UserId,
    /// The client address.
    pub ip: Ip,
    /// The TTL in seconds.
    pub ttl: u64,
    /// Initial data.
    pub d: Option<Data>,
    /// Fixed expiry.
    pub no_resave: bool,
    /// Absolute lifetime in seconds.
    pub lifetime: Option<u64>,
}

/// A parsed operation, as JavaScript or HTTP callers name it, with validated inputs.
#[derive(Debug, Clone)]
pub enum Request {
    /// `create({app, id, ip, ttl?, d?, no_resave?, lifetime?})`
    Create(NewSession),
    /// `get({app, token})`, with the token's handle
    Get(App, Handle),
    /// `touch({app, token})`
    Touch(App, Handle),
    /// `set({app, token, d})`
    Set(App, Handle, Patch),
    /// `setTtl({app, token, ttl})`
    SetTtl(App, Handle, u64),
    /// `regenerate({app, token})`
    Regenerate(App, Handle),
    /// `kill({app, token})` or `kill({app, handle})`
    Kill(App, Handle),
    /// `activity({app, dt})`
    Activity(App, u64),
    /// `soapp({app, dt})`
    Soapp(App, u64),
    /// `soid({app, id})`
    Soid(App, UserId),
    /// `soapp({app, dt, limit, cursor?})`: one page (see [`crate::ops::page`])
    SoappPage(App, u64, crate::ops::PageArgs),
    /// `soid({app, id, limit, cursor?})`: one page
    SoidPage(App, UserId, crate::ops::PageArgs),
    /// `killsoid({app, id})`
    KillSoid(App, UserId),
    /// `killall({app})`
    KillAll(App),
    /// `sweep({app?, limit?})`
    Sweep(Option<App>, u32),
}

/// The operations [`Request::parse`] knows, by their JS method names.
pub const OPERATIONS: &[&str] = &[
    "create",
    "get",
    "touch",
    "set",
    "setTtl",
    "regenerate",
    "kill",
    "activity",
    "soapp",
    "soid",
    "killsoid",
    "killall",
    "sweep",
];

/// `create`'s inputs as a binding passes them when the caller gave them the usual JS types
/// (strings, whole numbers, an object as JSON text): validated exactly as
/// [`Request::parse`] validates the same option object, in the same order.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateArgs<'a> {
    /// `app`
    pub app: &'a str,
    /// `id`
    pub id: &'a str,
    /// `ip`
    pub ip: &'a str,
    /// `ttl` in seconds, when given.
    pub ttl: Option<u64>,
    /// `d` as JSON text, when given.
    pub d: Option<&'a str>,
    /// `no_resave`
    pub no_resave: bool,
    /// `lifetime` in seconds, when given.
    pub lifetime: Option<u64>,
}

impl CreateArgs<'_> {
    /// The validated request.
    pub fn request(self) -> Result<Request, Error> {
        let app = App::new(self.app)?;
        let id = UserId::new(self.id)?;
        let ip = Ip::new(self.ip)?;
        let ttl = validate::seconds("ttl", self.ttl.unwrap_or(DEFAULT_TTL))?;
        let d = match self.d {
            None => None,
            Some(json) => Data::merge(None, &Patch::from_json(json)?)?,
        };
        let lifetime = self
            .lifetime
            .map(|l| validate::seconds("lifetime", l))
            .transpose()?;
        Ok(Request::Create(NewSession {
            app,
            id,
            ip,
            ttl,
            d,
            no_resave: self.no_resave,
            lifetime,
        }))
    }
}

impl Request {
    /// `get`, `touch` or `regenerate` (by `op`) from the strings a caller gave: validated
    /// exactly as [`Request::parse`] validates `{app, token}`.
    pub fn on_token(op: &str, app: &str, token: &str) -> Result<Self, Error> {
        let (app, handle) = (App::new(app)?, Handle::of_token(token)?);
        Ok(match op {
            "touch" => Request::Touch(app, handle),
            "regenerate" => Request::Regenerate(app, handle),
            _ => Request::Get(app, handle),
        })
    }

    /// `set` from the strings a caller gave and `d` as JSON text: validated exactly as
    /// [`Request::parse`] validates `{app, token, d}`.
    pub fn set_json(app: &str, token: &str, d: &str) -> Result<Self, Error> {
        let (app, handle) = (App::new(app)?, Handle::of_token(token)?);
        Ok(Request::Set(app, handle, Patch::from_json(d)?))
    }

    /// Parses the option object of operation `op` (a JS method name, see [`OPERATIONS`]).
    ///
    /// ```
    /// use session_core::Request;
    /// let e = Request::parse("get", &serde_json::json!({"app": "shop"})).unwrap_err();
    /// assert_eq!((e.name(), e.to_string().as_str()), ("missingParameter", "No token supplied"));
    /// ```
    pub fn parse(op: &str, input: &Value) -> Result<Self, Error> {
        let empty = Map::new();
        let o = Fields(input.as_object().unwrap_or(&empty));
        Ok(match op {
            "create" => {
                let app = o.app()?;
                let id = o.id()?;
                let ip = Ip::new(o.text("ip")?)?;
                let ttl = o.seconds("ttl")?.unwrap_or(DEFAULT_TTL);
                let ttl = validate::seconds("ttl", ttl)?;
                let d = match o.get("d") {
                    None => None,
                    Some(v) => Data::merge(None, &Patch::from_value(v.clone())?)?,
                };
                let no_resave = o.boolean("no_resave")?;
                let lifetime = o
                    .seconds("lifetime")?
                    .map(|l| validate::seconds("lifetime", l))
                    .transpose()?;
                Request::Create(NewSession {
                    app,
                    id,
                    ip,
                    ttl,
                    d,
                    no_resave,
                    lifetime,
                })
            }
            "get" => Request::Get(o.app()?, o.token()?),
            "touch" => Request::Touch(o.app()?, o.token()?),
            "regenerate" => Request::Regenerate(o.app()?, o.token()?),
            "set" => {
                let app = o.app()?;
                let token = o.token()?;
                let d = o.get("d").ok_or(Error::missing("d"))?;
                Request::Set(app, token, Patch::from_value(d.clone())?)
            }
            "setTtl" => {
                let app = o.app()?;
                let token = o.token()?;
                let ttl = o.seconds("ttl")?.ok_or(Error::missing("ttl"))?;
                Request::SetTtl(app, token, validate::seconds("ttl", ttl)?)
            }
            "kill" => {
                let app = o.app()?;
                let handle = match (o.get("token"), o.get("handle")) {
                    (None, Some(h)) => Handle::new(o.string(h, "handle")?)?,
                    _ => o.token()?,
                };
                Request::Kill(app, handle)
            }
            "activity" => Request::Activity(o.app()?, o.dt()?),
            "soapp" => {
                let (app, dt) = (o.app()?, o.dt()?);
                match o.page(&app, None)? {
                    Some(page) => Request::SoappPage(app, dt, page),
                    None => Request::Soapp(app, dt),
                }
            }
            "soid" => {
                let (app, id) = (o.app()?, o.id()?);
                match o.page(&app, Some(&id))? {
                    Some(page) => Request::SoidPage(app, id, page),
                    None => Request::Soid(app, id),
                }
            }
            "killsoid" => Request::KillSoid(o.app()?, o.id()?),
            "killall" => Request::KillAll(o.app()?),
            "sweep" => {
                let app = match o.get("app") {
                    None => None,
                    Some(_) => Some(o.app()?),
                };
                let limit = match o.seconds("limit") {
                    Ok(None) => crate::sweep::STEP,
                    Ok(Some(n)) if n <= u64::from(crate::sweep::LIMIT_MAX) => n as u32,
                    _ => {
                        return Err(Error::value(
                            "limit",
                            format!(
                                "limit must be an integer from 0 to {}",
                                crate::sweep::LIMIT_MAX
                            ),
                        ));
                    }
                };
                Request::Sweep(app, limit)
            }
            other => {
                return Err(Error::value(
                    "op",
                    // JSON quoting reads as Rust's `{:?}` for any name, without linking
                    // Debug formatting into the .wasm.
                    format!(
                        "Unknown operation {}; expected one of [{}]",
                        Value::from(other),
                        OPERATIONS
                            .iter()
                            .map(|o| format!("\"{o}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        })
    }
}

/// Field access with redis-sessions' notion of "missing": absent, `null` or `""`.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, field: &str) -> Option<&Value> {
        match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// A present value that must be a string.
    fn string<'v>(&self, v: &'v Value, field: &'static str) -> Result<&'v str, Error> {
        match v {
            Value::String(s) => Ok(s),
            _ => Err(Error::format(field)),
        }
    }

    /// A text field; empty when missing, so the newtype reports `missingParameter`.
    fn text(&self, field: &'static str) -> Result<&str, Error> {
        match self.get(field) {
            None => Ok(""),
            Some(v) => self.string(v, field),
        }
    }

    fn app(&self) -> Result<App, Error> {
        App::new(self.text("app")?)
    }

    /// The handle of the `token` field (validated as a token; never copied).
    fn token(&self) -> Result<Handle, Error> {
        Handle::of_token(self.text("token")?)
    }

    /// User ids may be given as integers (redis-sessions coerces them to text).
    fn id(&self) -> Result<UserId, Error> {
        match self.get("id") {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => UserId::new(n.to_string()),
            _ => UserId::new(self.text("id")?),
        }
    }

    /// Whole seconds, as a non-negative integer number or a string of digits. `None` when
    /// missing. Any other value is "not a positive integer".
    fn seconds(&self, field: &'static str) -> Result<Option<u64>, Error> {
        let Some(v) = self.get(field) else {
            return Ok(None);
        };
        // Whole numbers too large for u64 saturate, so they fail the upper bound by name.
        let parsed = match v {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            }),
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
                Some(s.parse().unwrap_or(u64::MAX))
            }
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| validate::too_small(field))
    }

    fn dt(&self) -> Result<u64, Error> {
        let dt = match self.seconds("dt")? {
            Some(dt) => Some(dt),
            None => self
                .seconds("deltaTime")
                .map_err(|_| validate::too_small("dt"))?,
        };
        validate::delta(dt.ok_or(Error::missing("dt"))?)
    }

    /// A listing's `limit` and `cursor`: `None` when neither is given (the complete answer);
    /// a cursor without a limit continues in pages of the largest limit.
    fn page(
        &self,
        app: &App,
        user: Option<&UserId>,
    ) -> Result<Option<crate::ops::PageArgs>, Error> {
        use crate::ops::page::{Cursor, LIMIT_MAX};
        let limit = match self.seconds("limit") {
            Ok(None) => None,
            Ok(Some(n)) if (1..=u64::from(LIMIT_MAX)).contains(&n) => Some(n as u32),
            _ => {
                return Err(Error::value(
                    "limit",
                    format!("limit must be an integer from 1 to {LIMIT_MAX}"),
                ));
            }
        };
        let cursor = match self.get("cursor") {
            None => None,
            Some(v) => Some(Cursor::parse(
                v.as_str()
                    .ok_or_else(|| Error::value("cursor", "cursor must be a string"))?,
                app,
                user,
            )?),
        };
        Ok(match (limit, cursor) {
            (None, None) => None,
            (limit, cursor) => Some(crate::ops::PageArgs {
                limit: limit.unwrap_or(LIMIT_MAX),
                cursor,
            }),
        })
    }

    fn boolean(&self, field: &'static str) -> Result<bool, Error> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Error::value(field, format!("{field} must be a boolean"))),
        }
    }
}
