//! Segments (saved directory searches) and admins' broadcasts to them: a preview with the
//! recipient count, then on confirmation one fan-out job, expanded by the scheduler into one
//! DM per opted-in member in the same transaction that finishes it.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Core, Ctx};
use crate::action::Action;
use crate::command::{self, Alumni, Command};
use crate::domain::{Community, Member};
use crate::error::{CoreError, StoreError, UserError};
use crate::i18n;
use crate::jobs::{Job, NewJob, Payload};
use crate::reply::{ButtonStyle, Reply};
use crate::store::{SearchQuery, Segment};

/// Members read per search page while collecting a segment.
const PAGE: u32 = 200;
/// DMs a broadcast schedules per second, so a large one is paced below platform limits
/// (rate-limited sends are retried after Retry-After in any case).
const PER_SECOND: i64 = 20;

impl Core {
    /// Everyone a segment's search finds now (approved members), each once.
    async fn segment_members(
        &self,
        community: &Community,
        segment: &Segment,
    ) -> Result<Vec<Member>, StoreError> {
        let query = match command::parse(&format!("/alumni search {}", segment.query)) {
            Ok(Command::Alumni(Alumni::Search { query, .. })) => query,
            // Saved only after the same grammar accepted it; never widen to everyone.
            _ => {
                tracing::warn!(segment = segment.id, "segment query no longer parses");
                return Ok(Vec::new());
            }
        };
        self.all_matches(community, &query).await
    }

    async fn all_matches(
        &self,
        community: &Community,
        query: &SearchQuery,
    ) -> Result<Vec<Member>, StoreError> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.store.search(community.id, query, PAGE, offset).await?;
            let n = page.members.len() as u32;
            for m in page.members {
                if seen.insert(m.id) {
                    out.push(m);
                }
            }
            if n < PAGE {
                return Ok(out);
            }
            offset += PAGE;
        }
    }

    /// The segment's members who receive broadcasts.
    async fn recipients(
        &self,
        community: &Community,
        segment: &Segment,
    ) -> Result<Vec<Member>, StoreError> {
        let mut out = Vec::new();
        for m in self.segment_members(community, segment).await? {
            if self.store.broadcasts_on(community.id, m.id).await? {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// `/admin segment save NAME query…`
    pub(super) async fn segment_save(
        &self,
        ctx: &Ctx<'_>,
        name: String,
        query: String,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let segment = self
            .store
            .save_segment(ctx.community.id, &name, &query, self.now())
            .await?;
        let count = self.segment_members(&ctx.community, &segment).await?.len();
        Ok(ctx
            .reply(
                "segment.saved",
                &[("name", &name), ("count", &count.to_string())],
            )
            .private())
    }

    /// `/admin segment list`
    pub(super) async fn segment_list(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let segments = self.store.segments(ctx.community.id).await?;
        if segments.is_empty() {
            return Ok(ctx.reply("segment.none", &[]).private());
        }
        let mut reply = ctx.reply("segment.heading", &[]).private();
        for s in segments {
            let q = if s.query.is_empty() {
                ctx.t("segment.everyone", &[])
            } else {
                s.query.clone()
            };
            reply = reply.field(s.name, q);
        }
        Ok(reply)
    }

    /// `/admin broadcast segment:NAME message:"…"`: the preview and a Send button.
    pub(super) async fn broadcast_preview(
        &self,
        ctx: &Ctx<'_>,
        segment: &str,
        message: &str,
    ) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let Some(segment) = self.store.segment(ctx.community.id, segment).await? else {
            return Err(UserError::new("segment.unknown")
                .arg("name", segment)
                .usage("admin.broadcast")
                .into());
        };
        let count = self.recipients(&ctx.community, &segment).await?.len();
        if count == 0 {
            return Err(UserError::new("broadcast.nobody")
                .arg("name", segment.name)
                .into());
        }
        let id = self
            .store
            .create_broadcast(
                ctx.community.id,
                segment.id,
                message,
                count as i64,
                self.now(),
            )
            .await?;
        Ok(ctx
            .reply(
                "broadcast.preview",
                &[
                    ("name", &segment.name),
                    ("count", &count.to_string()),
                    ("message", message),
                ],
            )
            .private()
            .button(
                ctx.t("broadcast.button", &[("count", &count.to_string())]),
                Action::Broadcast { id }.encode_in(ctx.community.id),
                ButtonStyle::Primary,
            ))
    }

    /// The Send button: one fan-out job, written with the confirmation (twice-clicked sends once).
    pub(super) async fn broadcast_confirm(
        &self,
        ctx: &Ctx<'_>,
        id: i64,
    ) -> Result<Reply, CoreError> {
        let admin = ctx.require_admin()?;
        let Some(b) = self.store.broadcast(ctx.community.id, id).await? else {
            return Err(UserError::new("broadcast.gone").into());
        };
        let now = self.now();
        let fan_out = NewJob {
            community_id: ctx.community.id,
            member_id: None,
            event_id: None,
            payload: Payload::Broadcast { broadcast: b.id },
            key: format!("broadcast:{}:{}", ctx.community.id, b.id),
            due_at: now,
            valid_until: None,
        };
        if !self
            .store
            .confirm_broadcast(ctx.community.id, b.id, now, &fan_out)
            .await?
        {
            return Ok(ctx.reply("broadcast.already", &[]).private());
        }
        self.audit(
            ctx,
            "broadcast",
            None,
            format!("segment {}, {} previewed", b.segment.name, b.previewed),
        )
        .await?;
        tracing::info!(
            community = ctx.community.id,
            broadcast = b.id,
            by = admin.id,
            "broadcast confirmed"
        );
        self.jobs_written.notify_one();
        Ok(ctx
            .reply(
                "broadcast.sending",
                &[
                    ("count", &b.previewed.to_string()),
                    ("name", &b.segment.name),
                ],
            )
            .private())
    }

    /// The DMs of a confirmed broadcast, to its segment's opted-in members as of now, paced.
    pub(super) async fn expand_broadcast(
        &self,
        job: &Job,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        let Some(b) = self.store.broadcast(job.community_id, id).await? else {
            return Ok(Vec::new());
        };
        if b.confirmed_at.is_none() {
            return Ok(Vec::new());
        }
        let community = self.community_by_id(job.community_id).await?;
        let recipients = self.recipients(&community, &b.segment).await?;
        Ok(recipients
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let locale = m.locale_or(&community);
                let text = i18n::t(
                    locale,
                    "broadcast.dm",
                    &[("community", &community.name), ("message", &b.message)],
                );
                let mut j = NewJob::notify_member(
                    community.id,
                    m.id,
                    format!("broadcast:{}:{}:m{}", community.id, b.id, m.id),
                    Reply::text(locale, text),
                    now + TimeDelta::seconds(i as i64 / PER_SECOND),
                );
                j.valid_until = None;
                j
            })
            .collect())
    }
}
