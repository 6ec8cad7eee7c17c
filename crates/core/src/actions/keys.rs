//! The hooks keys gram-admin minted in the organization, and the retirement of the keys a
//! rotation replaced.
//!
//! **Retirement.** A rotation publishes the new key at once, but teammates pick it up only when
//! their agent updates the plugin: the previous key stays live for a grace period (default 7
//! days) and is revoked once due — at the end of the grace period, or earlier once Gram's key
//! list shows it unused for 24 h counted from the new key's first use (every teammate has moved
//! over). The schedule lives in the plain settings (key ids and dates; nothing secret). Revoking
//! what is due is an action of its own ([`retire`]): the app runs it at start and on its Keys
//! screen, the CLI as `keys retire` (for a cron job).

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::{Context, Error};
use crate::gram::{ApiKey, SignedIn};

/// The default grace period of a rotation.
pub const DEFAULT_GRACE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// How long a replaced key must go unused (after the new key's first use) to be revoked early.
pub const UNUSED_FOR: Duration = Duration::hours(24);

/// gram-admin's keys in the organization (never their plaintext), newest first.
pub async fn list(ctx: &Context) -> Result<Vec<ApiKey>, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    Ok(ctx.checked(account.app_keys().await).await?)
}

/// Revokes the key `id` if gram-admin minted it (other keys belong to other tools), and drops it
/// from the retirement schedule.
pub async fn revoke(ctx: &Context, id: &str) -> Result<ApiKey, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    let revoked = ctx.checked(account.revoke_app_key(id).await).await?;
    let mut settings = ctx.settings();
    if settings.retiring.iter().any(|r| r.id == id) {
        settings.retiring.retain(|r| r.id != id);
        ctx.save_settings(&settings)?;
    }
    Ok(revoked)
}

/// A key a rotation replaced, waiting to be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiringKey {
    /// The replaced key, as Gram lists it.
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    /// The key that replaced it.
    pub replaced_by: String,
    pub replaced_by_prefix: String,
    /// Where the key lives: a schedule is carried out only signed in there.
    pub server: String,
    pub org: String,
    /// When the rotation published the new key (RFC 3339).
    pub rotated_at: String,
    /// The end of the grace period: revoked then at the latest (RFC 3339).
    pub revoke_by: String,
    /// When Gram's key list first showed the new key used (RFC 3339), once seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_key_first_used_at: Option<String>,
}

/// A replaced key not revoked yet, as both shells show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PendingRetirement {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    /// The key that replaced it.
    pub replaced_by_prefix: String,
    /// When it will be revoked at the latest (RFC 3339).
    pub revoke_at: String,
    /// Whole days until then, rounded up (0: due now, but could not be revoked).
    pub days_left: u32,
    /// One sentence: when and why it goes.
    pub sentence: String,
}

/// What [`retire`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Retired {
    /// The keys revoked now.
    pub revoked: Vec<ApiKey>,
    /// The keys still waiting.
    pub pending: Vec<PendingRetirement>,
    /// Sentences for what could not be done (a revoke Gram refused, another org's schedule).
    pub problems: Vec<String>,
}

/// Schedules the revoke of `old` (replaced by `new`) `grace` from now.
pub(crate) fn schedule(
    ctx: &Context,
    account: &SignedIn,
    old: &ApiKey,
    new: &ApiKey,
    grace: std::time::Duration,
) -> Result<PendingRetirement, Error> {
    let now = ctx.now();
    let grace = Duration::try_from(grace).unwrap_or(Duration::days(3650));
    let entry = RetiringKey {
        id: old.id.clone(),
        name: old.name.clone(),
        key_prefix: old.key_prefix.clone(),
        replaced_by: new.id.clone(),
        replaced_by_prefix: new.key_prefix.clone(),
        server: account.server().to_string(),
        org: account.organization()?.slug.clone(),
        rotated_at: rfc3339(now),
        revoke_by: rfc3339(now + grace),
        new_key_first_used_at: None,
    };
    let mut settings = ctx.settings();
    settings.retiring.retain(|r| r.id != entry.id);
    settings.retiring.push(entry.clone());
    ctx.save_settings(&settings)?;
    Ok(pending(
        &entry,
        now + grace,
        now,
        "at the end of the grace period",
    ))
}

/// Revokes every replaced key that is due; says what is still pending and when it goes.
pub async fn retire(ctx: &Context) -> Result<Retired, Error> {
    let mut settings = ctx.settings();
    if settings.retiring.is_empty() {
        return Ok(Retired::default());
    }
    let account = ctx.checked(ctx.account().await).await?;
    let server = account.server().to_string();
    let org = account.organization()?.slug.clone();
    let keys = ctx.checked(account.app_keys().await).await?;
    let now = ctx.now();
    let mut out = Retired::default();
    let mut keep = Vec::new();
    for mut entry in std::mem::take(&mut settings.retiring) {
        if entry.server != server || entry.org != org {
            out.problems.push(format!(
                "Key {}… of {} on {} is scheduled to be revoked: sign in there to retire it.",
                entry.key_prefix, entry.org, entry.server
            ));
            keep.push(entry);
            continue;
        }
        // Gone from Gram's list (revoked elsewhere): nothing left to do.
        let Some(old) = keys.iter().find(|k| k.id == entry.id) else {
            continue;
        };
        if entry.new_key_first_used_at.is_none() {
            entry.new_key_first_used_at = keys
                .iter()
                .find(|k| k.id == entry.replaced_by)
                .and_then(|k| k.last_accessed_at.clone());
        }
        let (due_at, why) = due(&entry, old);
        if now >= due_at {
            match account.revoke_app_key(&entry.id).await {
                Ok(key) => out.revoked.push(key),
                Err(e) => {
                    ctx.forget_if_refused(&e).await;
                    out.problems.push(format!(
                        "Revoking the replaced key {} ({}…) failed ({e}); it stays scheduled: try again, or revoke it from gram-admin's list of keys.",
                        entry.name, entry.key_prefix
                    ));
                    out.pending.push(pending(&entry, due_at, now, why));
                    keep.push(entry);
                }
            }
        } else {
            out.pending.push(pending(&entry, due_at, now, why));
            keep.push(entry);
        }
    }
    settings.retiring = keep;
    ctx.save_settings(&settings)?;
    Ok(out)
}

/// When `entry` is due, and why then: the end of the grace period, or — once the new key has
/// been used — 24 h after the later of that first use and the old key's last use.
fn due(entry: &RetiringKey, old: &ApiKey) -> (OffsetDateTime, &'static str) {
    let revoke_by = parse(&entry.revoke_by).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let early = entry
        .new_key_first_used_at
        .as_deref()
        .and_then(parse)
        .map(|first| {
            let last_old = old.last_accessed_at.as_deref().and_then(parse);
            last_old.map_or(first, |l| l.max(first)) + UNUSED_FOR
        });
    match early {
        Some(early) if early < revoke_by => {
            (early, "once unused for 24 h since the new key's first use")
        }
        _ => (revoke_by, "at the end of the grace period"),
    }
}

fn pending(
    entry: &RetiringKey,
    due_at: OffsetDateTime,
    now: OffsetDateTime,
    why: &str,
) -> PendingRetirement {
    let left = (due_at - now).max(Duration::ZERO);
    let days_left = left.whole_seconds().div_euclid(86_400) as u32
        + u32::from(left.whole_seconds().rem_euclid(86_400) > 0);
    let when = match days_left {
        0 => "now".to_owned(),
        1 => "within a day".to_owned(),
        n => format!("in {n} days"),
    };
    PendingRetirement {
        id: entry.id.clone(),
        name: entry.name.clone(),
        key_prefix: entry.key_prefix.clone(),
        replaced_by_prefix: entry.replaced_by_prefix.clone(),
        revoke_at: rfc3339(due_at),
        days_left,
        sentence: format!(
            "Key {}… (replaced by {}…) is revoked {when} ({}), or earlier {}.",
            entry.key_prefix,
            entry.replaced_by_prefix,
            rfc3339(due_at),
            if why.starts_with("once") {
                "if nobody uses it any more"
            } else {
                "once it has gone unused for 24 h since the new key was first used"
            }
        ),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(first_used: Option<&str>) -> RetiringKey {
        RetiringKey {
            id: "old".into(),
            name: "n".into(),
            key_prefix: "gram_local_aaaaa".into(),
            replaced_by: "new".into(),
            replaced_by_prefix: "gram_local_bbbbb".into(),
            server: "https://gram.test".into(),
            org: "acme".into(),
            rotated_at: "2026-12-01T00:00:00Z".into(),
            revoke_by: "2026-12-08T00:00:00Z".into(),
            new_key_first_used_at: first_used.map(Into::into),
        }
    }

    fn key(last: Option<&str>) -> ApiKey {
        ApiKey {
            id: "old".into(),
            name: "n".into(),
            key_prefix: "gram_local_aaaaa".into(),
            scopes: vec!["hooks".into()],
            created_at: "2026-11-01T00:00:00Z".into(),
            last_accessed_at: last.map(Into::into),
            created_by_user_id: None,
        }
    }

    #[test]
    fn due_at_the_end_of_the_grace_until_the_new_key_is_used() {
        let (at, _) = due(&entry(None), &key(Some("2026-12-05T00:00:00Z")));
        assert_eq!(rfc3339(at), "2026-12-08T00:00:00Z");
    }

    #[test]
    fn due_24_hours_after_the_old_keys_last_use_once_the_new_key_is_used() {
        let (at, _) = due(
            &entry(Some("2026-12-02T00:00:00Z")),
            &key(Some("2026-12-03T06:00:00Z")),
        );
        assert_eq!(rfc3339(at), "2026-12-04T06:00:00Z");
        // Not used since before the new key's first use: 24 h after that first use.
        let (at, _) = due(&entry(Some("2026-12-02T00:00:00Z")), &key(None));
        assert_eq!(rfc3339(at), "2026-12-03T00:00:00Z");
        // Still in use near the end of the grace: the grace wins.
        let (at, _) = due(
            &entry(Some("2026-12-02T00:00:00Z")),
            &key(Some("2026-12-07T12:00:00Z")),
        );
        assert_eq!(rfc3339(at), "2026-12-08T00:00:00Z");
    }

    #[test]
    fn days_left_round_up() {
        let now = parse("2026-12-05T00:00:01Z").unwrap();
        let p = pending(
            &entry(None),
            parse("2026-12-08T00:00:00Z").unwrap(),
            now,
            "at the end",
        );
        assert_eq!(p.days_left, 3);
        assert!(p.sentence.contains("in 3 days"), "{}", p.sentence);
    }
}
