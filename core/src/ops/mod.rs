//! The operations, as machines. Each constructor takes validated inputs and `now`
//! (milliseconds); drive the result with a driver such as [`Sessions`](crate::Sessions), or by
//! hand (see [`machine`](crate::machine)).

mod bulk;
mod create;
pub(crate) mod index;
pub mod page;
mod query;
mod single;

pub use bulk::{BulkFlow, Removal};
pub use create::CreateFlow;
pub use page::{Page, PageArgs, PageFlow};
pub use query::{ActivityFlow, ListFlow};
pub use single::{Access, AccessChange, Change, Kill, Planned, Regenerate, SingleFlow, Target};

use crate::data::Patch;
use crate::input::NewSession;
use crate::machine::Op;
use crate::shard::{Scope, Shards};
use crate::token::{Handle, Token};
use crate::validate::{App, UserId};
use bulk::Bulk;
use query::Listing;

/// What an operation does with an expired session it meets (`get`, `set`, `touch`, `setTtl`,
/// `regenerate` and `kill` by its token; `killsoid` and `killall` among a user's or an app's
/// sessions).
///
/// session-core removes it at once ([`Expired::Remove`], with an `expired` event), so that
/// `activity` stops counting its user. redis-sessions leaves every expired session in place
/// until its periodic wipe; its drop-in asks for that with [`Expired::Keep`]: `get`, `set`,
/// `touch`, `setTtl` and `regenerate` answer as for a missing session (`null`) and write
/// nothing, so the user still counts in `activity` until the sweep; the kills (`kill`,
/// `killsoid`, `killall`) end the expired sessions they meet and count them (their events say
/// the kill ended them), as redis-sessions' kills count sessions its wipe has not removed yet. Listings never show
/// expired sessions either way, and `sweep` removes them either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expired {
    /// Remove an expired session when an operation meets it (session-core's policy).
    #[default]
    Remove,
    /// Leave expired sessions for the sweep (redis-sessions' policy).
    Keep,
}

/// The machine of `get`, `touch`, `set` and `setTtl`: answers with the session, or `None`.
pub type AccessOp = Op<SingleFlow<AccessChange>>;
/// The machine of `regenerate`: answers with the new token, or `None`.
pub type RegenerateOp = Op<SingleFlow<Regenerate>>;
/// The machine of `kill`: answers with the number killed (0 or 1).
pub type KillOp = Op<SingleFlow<Kill>>;
/// The machine of `killsoid`, `killall` and `sweep`.
pub type BulkOp = Op<BulkFlow>;

/// `create`: a new session under `token` (draw it with [`Token::generate`]), for an app with
/// one shard.
pub fn create(input: NewSession, token: Token, now: u64) -> Op<CreateFlow> {
    create_in(Shards::ONE, input, token, now)
}

/// `create` in an app over `shards`: draw `token` with [`Shards::token`] for the user's shard
/// ([`Shards::of_user`]); a token for another shard is refused (`invalidValue`, `token`).
pub fn create_in(shards: Shards, input: NewSession, token: Token, now: u64) -> Op<CreateFlow> {
    Op::new(CreateFlow::new(shards, input, token, now))
}

/// `get`, `touch`, `set` or `setTtl` of the session with this handle (a token's
/// [`Token::handle`], or [`Handle::of_token`]), by `access`.
pub fn access(app: impl Into<Scope>, handle: Handle, access: Access, now: u64) -> AccessOp {
    Op::new(SingleFlow::new(
        app.into(),
        handle,
        now,
        AccessChange::new(access),
    ))
}

/// `get`: the session as it was, then count the read and slide the expiry.
pub fn get(app: impl Into<Scope>, handle: Handle, now: u64) -> AccessOp {
    access(app, handle, Access::Get, now)
}

/// `set`: merge `d` and count a write.
pub fn set(app: impl Into<Scope>, handle: Handle, d: Patch, now: u64) -> AccessOp {
    access(app, handle, Access::Set(d), now)
}

/// `regenerate`: move the session to `new_token`; the old token is dead at once. With several
/// shards, draw `new_token` with [`Shards::token`] for the handle's shard
/// ([`Shards::of_handle`]).
pub fn regenerate(
    app: impl Into<Scope>,
    handle: Handle,
    new_token: Token,
    now: u64,
) -> RegenerateOp {
    Op::new(SingleFlow::new(
        app.into(),
        handle,
        now,
        Regenerate::new(new_token),
    ))
}

/// `kill`: end the session with this handle (`token.handle()`, or one from a listing).
pub fn kill(app: impl Into<Scope>, handle: Handle, now: u64) -> KillOp {
    Op::new(SingleFlow::new(app.into(), handle, now, Kill::default()))
}

/// `activity`: unique users accessed within `dt` seconds.
pub fn activity(app: impl Into<Scope>, dt: u64, now: u64) -> Op<ActivityFlow> {
    Op::new(ActivityFlow::new(app.into(), dt, now))
}

/// `soapp`: live sessions accessed within `dt` seconds, most recent first.
pub fn soapp(app: impl Into<Scope>, dt: u64, now: u64) -> Op<ListFlow> {
    Op::new(ListFlow::new(app.into(), Listing::Recent(dt), now))
}

/// `soid`: one user's live sessions, oldest first.
pub fn soid(app: impl Into<Scope>, id: UserId, now: u64) -> Op<ListFlow> {
    Op::new(ListFlow::new(app.into(), Listing::User(id), now))
}

/// `soapp` by pages: at most `args.limit` live sessions accessed within `dt` seconds, after
/// `args.cursor` (see [`page`]).
pub fn soapp_page(app: impl Into<Scope>, dt: u64, args: PageArgs, now: u64) -> Op<PageFlow> {
    Op::new(PageFlow::soapp(app.into(), dt, args, now))
}

/// `soid` by pages: at most `args.limit` of one user's live sessions, after `args.cursor`.
pub fn soid_page(app: impl Into<Scope>, id: UserId, args: PageArgs, now: u64) -> Op<PageFlow> {
    Op::new(PageFlow::soid(app.into(), id, args, now))
}

/// `killsoid`: end all of one user's sessions.
pub fn killsoid(app: impl Into<Scope>, id: UserId, now: u64) -> BulkOp {
    let scope = app.into();
    Op::new(BulkFlow::new(
        Bulk::KillSoid(id),
        Some(scope),
        scope.shards,
        now,
    ))
}

/// `killall`: end all sessions of one app.
pub fn killall(app: impl Into<Scope>, now: u64) -> BulkOp {
    let scope = app.into();
    Op::new(BulkFlow::new(Bulk::KillAll, Some(scope), scope.shards, now))
}

/// `sweep`: remove expired sessions from every index, in one app or (with `None`) in every
/// app, examining at most `limit` index entries; `limit` 0 is a probe that only answers
/// `more` (see [`crate::sweep`]).
pub fn sweep(app: Option<App>, limit: u32, now: u64) -> BulkOp {
    sweep_in(Shards::ONE, app, limit, now)
}

/// `sweep` of apps over `shards`: each app's shards in turn.
pub fn sweep_in(shards: Shards, app: Option<App>, limit: u32, now: u64) -> BulkOp {
    let scope = app.map(|app| Scope::new(app, shards));
    Op::new(BulkFlow::new(Bulk::Sweep(limit), scope, shards, now))
}
