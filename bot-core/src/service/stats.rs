//! `/admin stats`: the figures management asks for ("why run this?") as text, plus a PNG
//! chart of membership growth and where alumni went.
//!
//! Companies and industries are counted from shown fields only, and a value only two or
//! fewer members share is left out, so a small group cannot be picked out of the figures.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::Datelike;

use super::{Core, Ctx};
use crate::chart::{self, ChartData};
use crate::domain::{MemberStatus, OpenTo, Role};
use crate::error::CoreError;
use crate::reply::{Attachment, Reply};

/// Members a stats run reads.
const LIMIT: u32 = 1_000_000;
/// A company or industry is named only with more members than this.
const MIN_GROUP: u64 = 2;
/// Months of growth the chart shows.
const MONTHS: usize = 12;

/// A Japanese-capable font for chart labels: `ALUMNI_CHART_FONT`, else Debian's IPAGothic
/// (`fonts-ipafont-gothic`). Read once; without one the stats come as text only.
fn chart_font() -> Option<&'static [u8]> {
    static FONT: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    FONT.get_or_init(|| {
        let candidates = std::env::var("ALUMNI_CHART_FONT").into_iter().chain(
            [
                "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
                "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
            ]
            .map(String::from),
        );
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                return Some(bytes);
            }
        }
        tracing::warn!(
            "no chart font found (install fonts-ipafont-gothic or set ALUMNI_CHART_FONT)"
        );
        None
    })
    .as_deref()
}

fn top(counts: BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().filter(|(_, c)| *c > MIN_GROUP).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// The funnel's stages as chart bars, labelled in the asker's language.
fn funnel_stages(ctx: &Ctx<'_>, f: &crate::store::RosterFunnel) -> Vec<(String, u64)> {
    [
        ("roster", f.on_roster),
        ("invited", f.invited),
        ("joined", f.joined),
        ("approved", f.approved),
        ("active", f.active),
    ]
    .into_iter()
    .map(|(stage, n)| (ctx.t(&format!("stats.funnel.{stage}"), &[]), n))
    .collect()
}

impl Core {
    pub(super) async fn stats(&self, ctx: &Ctx<'_>) -> Result<Reply, CoreError> {
        ctx.require_admin()?;
        let c = ctx.community.id;
        let mut by_status = Vec::new();
        for s in MemberStatus::ALL {
            let n = self.store.members_with_status(c, *s, LIMIT).await?.len();
            by_status.push(format!(
                "{} {n}",
                ctx.t(&format!("status.{}", s.as_str()), &[])
            ));
        }
        let approved = self
            .store
            .members_with_status(c, MemberStatus::Approved, LIMIT)
            .await?;
        let mut roles = BTreeMap::<Role, u64>::new();
        let mut open_to = BTreeMap::<OpenTo, u64>::new();
        let mut industries = BTreeMap::<String, u64>::new();
        let mut companies = BTreeMap::<String, u64>::new();
        let mut months = BTreeMap::<(i32, u32), u64>::new();
        for m in &approved {
            *roles.entry(m.role).or_default() += 1;
            let p = m.profile.visible(&m.hidden);
            for o in &p.open_to {
                *open_to.entry(*o).or_default() += 1;
            }
            if let Some(i) = p.industry {
                *industries.entry(i).or_default() += 1;
            }
            if let Some(co) = p.company {
                *companies.entry(co).or_default() += 1;
            }
            let t = m.created_at.with_timezone(&ctx.tz);
            *months.entry((t.year(), t.month())).or_default() += 1;
        }
        // Cumulative members at the end of each of the last MONTHS months.
        let now = self.now().with_timezone(&ctx.tz);
        let mut growth = Vec::new();
        let (mut y, mut mo) = (now.year(), now.month());
        let mut ends = Vec::new();
        for _ in 0..MONTHS {
            ends.push((y, mo));
            (y, mo) = if mo == 1 { (y - 1, 12) } else { (y, mo - 1) };
        }
        ends.reverse();
        for (y, m) in &ends {
            let total: u64 = months.range(..=(*y, *m)).map(|(_, n)| n).sum();
            growth.push((format!("{y}-{m:02}"), total));
        }
        let tallies: BTreeMap<String, i64> = self.store.tallies(c).await?.into_iter().collect();
        let tally = |k: &str| tallies.get(k).copied().unwrap_or(0).to_string();

        let join = |v: Vec<String>| {
            if v.is_empty() {
                "—".to_owned()
            } else {
                v.join(", ")
            }
        };
        let industries_top = top(industries, 8);
        let mut reply = ctx
            .reply("stats.heading", &[("community", &ctx.community.name)])
            .private()
            .field(ctx.t("stats.status", &[]), by_status.join(", "))
            .field(
                ctx.t("stats.roles", &[]),
                join(
                    roles
                        .iter()
                        .map(|(r, n)| {
                            format!("{} {n}", ctx.t(&format!("role.{}", r.as_str()), &[]))
                        })
                        .collect(),
                ),
            )
            .field(
                ctx.t("stats.growth", &[]),
                join(
                    growth
                        .iter()
                        .rev()
                        .take(6)
                        .rev()
                        .map(|(m, n)| format!("{m}: {n}"))
                        .collect(),
                ),
            )
            .field(
                ctx.t("stats.industries", &[]),
                join(
                    industries_top
                        .iter()
                        .map(|(i, n)| format!("{i} {n}"))
                        .collect(),
                ),
            )
            .field(
                ctx.t("stats.companies", &[]),
                join(
                    top(companies, 8)
                        .iter()
                        .map(|(i, n)| format!("{i} {n}"))
                        .collect(),
                ),
            )
            .field(
                ctx.t("stats.open_to", &[]),
                join(
                    open_to
                        .iter()
                        .map(|(o, n)| {
                            format!("{} {n}", ctx.t(&format!("open_to.{}", o.as_str()), &[]))
                        })
                        .collect(),
                ),
            )
            .field(
                ctx.t("stats.events", &[]),
                ctx.t(
                    "stats.events_value",
                    &[
                        ("events", &tally("events.count")),
                        ("going", &tally("rsvps.going")),
                        ("maybe", &tally("rsvps.maybe")),
                    ],
                ),
            )
            .field(
                ctx.t("stats.intros", &[]),
                ctx.t(
                    "stats.intros_value",
                    &[
                        ("connected", &tally("intros.connected")),
                        ("declined", &tally("intros.declined")),
                        ("expired", &tally("intros.expired")),
                        ("pending", &tally("intros.pending")),
                    ],
                ),
            )
            .field(
                ctx.t("stats.coffee", &[]),
                ctx.t(
                    "stats.coffee_value",
                    &[
                        ("yes", &tally("coffee.met.yes")),
                        ("no", &tally("coffee.met.no")),
                        ("unanswered", &tally("coffee.met.unanswered")),
                    ],
                ),
            )
            .field(ctx.t("stats.erased", &[]), tally("erased"));
        let funnel = self.funnel(&ctx.community).await?;
        if funnel.on_roster > 0 {
            reply = reply.field(
                ctx.t("stats.funnel", &[]),
                super::roster::funnel_line(ctx.locale, &funnel),
            );
        }
        if let Some(font) = chart_font() {
            let data = ChartData {
                title: ctx.t("stats.chart_title", &[("community", &ctx.community.name)]),
                growth_title: ctx.t("stats.growth", &[]),
                growth,
                industries_title: ctx.t("stats.industries", &[]),
                industries: industries_top,
                funnel_title: ctx.t("stats.funnel", &[]),
                funnel: funnel_stages(ctx, &funnel),
            };
            match chart::render(&data, font) {
                Ok(png) => {
                    reply.attachment = Some(Attachment {
                        filename: "stats.png".into(),
                        content_type: "image/png;base64".into(),
                        content: chart::base64(&png),
                    });
                }
                Err(e) => tracing::warn!(error = %e, "chart not drawn"),
            }
        }
        Ok(reply)
    }
}
