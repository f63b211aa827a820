//! Forms of more than five fields on Discord, whose modals hold five inputs at most: the form
//! is asked page by page. The first modal holds the first five fields; its submission is kept
//! here (in memory, per user and form, for [`TTL`]) and answered, only to the asker, with a
//! "Continue (2/2)" button that opens the next page; after the last page the answers of every
//! page go to the core as one line, exactly as a one-page form's would.
//!
//! A page's modal id is the form's id with `|p2/3` after it (so a DM form's `c3|` scope still
//! leads); the button's is `fp|` and the form's id. Only the user who opened the form finds
//! its saved pages: anyone else pressing the button, or a page submitted after the form
//! expired or was sent, is told to start again, and nothing is changed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bot_core::i18n;
use bot_core::reply::{ButtonStyle, Form, Reply};
use serenity::all::{
    ActionRowComponent, ComponentInteraction, CreateInteractionResponse, CreateModal,
    ModalInteraction, UserId,
};

use crate::render::{self, CUSTOM_ID, MODAL_INPUTS};

/// How long a started form waits for its next page.
pub const TTL: Duration = Duration::from_secs(30 * 60);
/// Forms kept at once; past it the one closest to expiring is forgotten.
const MAX_PENDING: usize = 10_000;
/// The "Continue" button's id prefix (an action id starts with `v1.`).
const CONTINUE: &str = "fp|";
/// Between a form's id and a page's number in the page's modal id.
const PAGE: &str = "|p";

/// A form being filled in page by page.
struct Pending {
    form: Form,
    /// The page to be submitted next, from 1.
    page: usize,
    /// (key, answer) of the pages submitted so far.
    answers: Vec<(String, String)>,
    expires: Instant,
}

/// What a modal submission is for paging.
pub enum Submitted {
    /// Not a page of a longer form: the submission is the whole form.
    Whole,
    /// A page before the last (answered with the Continue button), or a stale page (answered
    /// with an error): send this response, the core is not asked.
    Answer(Box<CreateInteractionResponse>),
    /// The last page: the form's command with every page's answers.
    Complete(String),
}

pub struct FormPages {
    pending: Mutex<HashMap<(UserId, String), Pending>>,
    ttl: Duration,
}

impl Default for FormPages {
    fn default() -> Self {
        FormPages::with_ttl(TTL)
    }
}

impl FormPages {
    pub fn with_ttl(ttl: Duration) -> Self {
        FormPages {
            pending: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The modal `form` opens for `user`: the whole form when it fits in one, else its first
    /// page (the form is remembered for the pages after it). `None` when its id is too long
    /// for Discord.
    pub fn open(&self, user: UserId, form: &Form) -> Option<CreateModal> {
        if form.fields.len() <= MODAL_INPUTS {
            return render::modal(form);
        }
        let pages = page_count(form);
        if page_id(&form.command, pages, pages).chars().count() > CUSTOM_ID
            || continue_id(&form.command).chars().count() > CUSTOM_ID
        {
            tracing::warn!(form = %form.command, "a form id too long for its pages");
            return None;
        }
        let modal = page_modal(form, 1)?;
        let mut pending = self.pending.lock().expect("form pages");
        let now = Instant::now();
        pending.retain(|_, p| p.expires > now);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(
            (user, form.command.clone()),
            Pending {
                form: form.clone(),
                page: 1,
                answers: Vec::new(),
                expires: now + self.ttl,
            },
        );
        Some(modal)
    }

    /// A press of a "Continue" button: the next page's modal, or (expired, someone else's)
    /// the error. `None` for any other button.
    pub fn press(&self, press: &ComponentInteraction) -> Option<CreateInteractionResponse> {
        let form_id = press.data.custom_id.strip_prefix(CONTINUE)?;
        let pending = self.pending.lock().expect("form pages");
        let modal = pending
            .get(&(press.user.id, form_id.to_owned()))
            .filter(|p| p.expires > Instant::now())
            .and_then(|p| page_modal(&p.form, p.page));
        Some(match modal {
            Some(modal) => CreateInteractionResponse::Modal(modal),
            None => expired(&press.locale),
        })
    }

    /// A submitted modal: a page of a longer form is kept and answered with the button to the
    /// next page, the last one completes the form.
    pub fn submitted(&self, submit: &ModalInteraction) -> Submitted {
        let Some((form_id, page, pages)) = parse_page_id(&submit.data.custom_id) else {
            return Submitted::Whole;
        };
        let key = (submit.user.id, form_id.to_owned());
        let mut all = self.pending.lock().expect("form pages");
        let now = Instant::now();
        let Some(pending) = all
            .get_mut(&key)
            .filter(|p| p.expires > now && p.page == page && page_count(&p.form) == pages)
        else {
            return Submitted::Answer(Box::new(expired(&submit.locale)));
        };
        // Only this page's keys are taken: a forged submission cannot fill another page.
        let keys: Vec<&str> = page_fields(&pending.form, page)
            .iter()
            .map(|f| f.key.as_str())
            .collect();
        for row in &submit.data.components {
            for component in &row.components {
                if let ActionRowComponent::InputText(input) = component
                    && keys.contains(&input.custom_id.as_str())
                {
                    let value = input.value.as_deref().unwrap_or_default().trim();
                    pending.answers.retain(|(k, _)| *k != input.custom_id);
                    if !value.is_empty() {
                        pending
                            .answers
                            .push((input.custom_id.clone(), value.to_owned()));
                    }
                }
            }
        }
        if page < pages {
            pending.page = page + 1;
            pending.expires = now + self.ttl;
            return Submitted::Answer(Box::new(continue_message(
                &submit.locale,
                form_id,
                page,
                pages,
            )));
        }
        let Some(pending) = all.remove(&key) else {
            return Submitted::Answer(Box::new(expired(&submit.locale)));
        };
        Submitted::Complete(line(&pending))
    }
}

/// The form's command with each answer as `key:"value"`, in the form's order: what one modal
/// holding every field would have sent.
fn line(pending: &Pending) -> String {
    let (_, command) = crate::app::split_form_id(&pending.form.command);
    let mut line = command.to_owned();
    for field in &pending.form.fields {
        if let Some((_, value)) = pending.answers.iter().find(|(k, _)| *k == field.key) {
            line.push_str(&format!(" {}:{}", field.key, crate::commands::quote(value)));
        }
    }
    line
}

fn page_count(form: &Form) -> usize {
    form.fields.len().div_ceil(MODAL_INPUTS)
}

fn page_fields(form: &Form, page: usize) -> &[bot_core::reply::FormField] {
    let start = (page - 1) * MODAL_INPUTS;
    let end = (start + MODAL_INPUTS).min(form.fields.len());
    form.fields.get(start..end).unwrap_or_default()
}

fn page_id(form_id: &str, page: usize, pages: usize) -> String {
    format!("{form_id}{PAGE}{page}/{pages}")
}

fn continue_id(form_id: &str) -> String {
    format!("{CONTINUE}{form_id}")
}

/// A page's modal id → (form id, page, pages).
fn parse_page_id(id: &str) -> Option<(&str, usize, usize)> {
    let (form_id, numbers) = id.rsplit_once(PAGE)?;
    let (page, pages) = numbers.split_once('/')?;
    let (page, pages) = (page.parse().ok()?, pages.parse().ok()?);
    (1..=pages)
        .contains(&page)
        .then_some((form_id, page, pages))
}

/// Page `page` of the form: its title says which ("Plan an event (2/2)"), within the 45
/// characters of a modal title.
fn page_modal(form: &Form, page: usize) -> Option<CreateModal> {
    let pages = page_count(form);
    let suffix = format!(" ({page}/{pages})");
    let room = 45usize.saturating_sub(suffix.chars().count()).max(2);
    let title = format!("{}{suffix}", render::cut(&form.title, room));
    render::modal_page(
        &page_id(&form.command, page, pages),
        &title,
        page_fields(form, page),
    )
}

/// "Part 1 of 2 is saved" with the button that opens the next page, only for the asker.
fn continue_message(
    tag: &str,
    form_id: &str,
    page: usize,
    pages: usize,
) -> CreateInteractionResponse {
    let locale = render::locale_of(tag);
    let (done, next, total) = (page.to_string(), (page + 1).to_string(), pages.to_string());
    let reply = Reply::text(
        locale,
        i18n::t(
            locale,
            "discord.form_continue",
            &[("page", &done), ("pages", &total)],
        ),
    )
    .private()
    .button(
        i18n::t(
            locale,
            "discord.form_continue_button",
            &[("page", &next), ("pages", &total)],
        ),
        continue_id(form_id),
        ButtonStyle::Primary,
    );
    CreateInteractionResponse::Message(render::response_message(&reply, true))
}

fn expired(tag: &str) -> CreateInteractionResponse {
    let locale = render::locale_of(tag);
    let mut reply = Reply::text(locale, i18n::t(locale, "discord.form_expired", &[])).private();
    reply.error = true;
    CreateInteractionResponse::Message(render::response_message(&reply, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::reply::FormField;
    use serde_json::{Value, json};

    fn event_form() -> Form {
        let keys = [
            "title", "at", "duration", "end", "where", "capacity", "remind", "channel",
        ];
        Form {
            title: "Plan an event".into(),
            command: "/event create".into(),
            fields: keys
                .iter()
                .map(|k| FormField {
                    key: (*k).into(),
                    label: format!("Label of {k}"),
                    required: *k == "title" || *k == "at",
                    long: false,
                })
                .collect(),
        }
    }

    fn interaction(kind: u8, user: u64, data: Value) -> Value {
        json!({
            "id": "5", "application_id": "9", "type": kind, "token": "t", "version": 1,
            "locale": "en-US", "channel_id": "3", "user": {
                "id": user.to_string(), "username": "u", "discriminator": "0",
                "global_name": "u", "avatar": null,
            },
            "app_permissions": "0", "entitlements": [], "authorizing_integration_owners": {},
            "attachment_size_limit": 10485760,
            "data": data,
        })
    }

    fn submit(user: u64, id: &str, fields: &[(&str, &str)]) -> ModalInteraction {
        let rows: Vec<Value> = fields
            .iter()
            .map(|(k, v)| {
                json!({ "type": 1, "components": [{ "type": 4, "custom_id": k, "value": v }] })
            })
            .collect();
        serde_json::from_value(interaction(
            5,
            user,
            json!({ "custom_id": id, "components": rows }),
        ))
        .unwrap()
    }

    fn press(user: u64, id: &str) -> ComponentInteraction {
        let mut v = interaction(3, user, json!({ "custom_id": id, "component_type": 2 }));
        v["message"] = json!({
            "id": "42", "channel_id": "3", "author": v["user"].clone(), "content": "",
            "timestamp": "2026-12-01T00:00:00.000000+00:00", "edited_timestamp": null,
            "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": [], "pinned": false, "type": 0,
        });
        serde_json::from_value(v).unwrap()
    }

    fn json_of(response: CreateInteractionResponse) -> Value {
        serde_json::to_value(response).unwrap()
    }

    #[test]
    fn eight_fields_are_two_pages_whose_answers_make_one_line() {
        let pages = FormPages::default();
        let user = UserId::new(7);
        let first = serde_json::to_value(pages.open(user, &event_form()).unwrap()).unwrap();
        assert_eq!(first["custom_id"], "/event create|p1/2");
        assert_eq!(first["title"], "Plan an event (1/2)");
        assert_eq!(first["components"].as_array().unwrap().len(), 5);

        let answer = pages.submitted(&submit(
            7,
            "/event create|p1/2",
            &[("title", "Drinks"), ("at", "2026-12-18 19:00"), ("end", "")],
        ));
        let Submitted::Answer(next) = answer else {
            panic!("page 1 is answered with a button");
        };
        let next = json_of(*next);
        let button = &next["data"]["components"][0]["components"][0];
        assert_eq!(button["custom_id"], "fp|/event create");
        assert_eq!(button["label"], "Continue (2/2)");
        assert_eq!(next["data"]["flags"], 64);

        // Someone else's press finds nothing of theirs.
        let theirs = json_of(pages.press(&press(8, "fp|/event create")).unwrap());
        assert_eq!(theirs["type"], 4, "{theirs:#}");
        let second = json_of(pages.press(&press(7, "fp|/event create")).unwrap());
        assert_eq!(second["type"], 9);
        assert_eq!(second["data"]["custom_id"], "/event create|p2/2");
        let keys: Vec<&str> = second["data"]["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["components"][0]["custom_id"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["capacity", "remind", "channel"]);
        assert!(pages.press(&press(7, "v1.ap.1@1")).is_none(), "not ours");

        // A forged `title` on page 2 is ignored; the line is in the form's order.
        let done = pages.submitted(&submit(
            7,
            "/event create|p2/2",
            &[
                ("channel", "events"),
                ("capacity", "30"),
                ("title", "Forged"),
            ],
        ));
        let Submitted::Complete(line) = done else {
            panic!("the last page completes the form");
        };
        assert_eq!(
            line,
            r#"/event create title:"Drinks" at:"2026-12-18 19:00" capacity:"30" channel:"events""#
        );
        // Sent once: submitting the last page again is refused.
        let again = pages.submitted(&submit(7, "/event create|p2/2", &[("capacity", "1")]));
        assert!(matches!(again, Submitted::Answer(_)));
    }

    #[test]
    fn an_expired_form_is_refused_and_a_short_form_is_one_modal() {
        let pages = FormPages::with_ttl(Duration::ZERO);
        let user = UserId::new(7);
        assert!(pages.open(user, &event_form()).is_some());
        let Submitted::Answer(refused) =
            pages.submitted(&submit(7, "/event create|p1/2", &[("title", "x")]))
        else {
            panic!("expired");
        };
        let refused = json_of(*refused);
        assert!(
            refused["data"]["embeds"][0]["description"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{refused:#}"
        );
        let mut short = event_form();
        short.fields.truncate(5);
        let modal = serde_json::to_value(pages.open(user, &short).unwrap()).unwrap();
        assert_eq!(modal["custom_id"], "/event create");
        assert!(matches!(
            pages.submitted(&submit(7, "/event create", &[("title", "x")])),
            Submitted::Whole
        ));
        // A DM form keeps its community scope first.
        let mut scoped = event_form();
        scoped.command = "c3|/event create".into();
        let pages = FormPages::default();
        assert!(pages.open(user, &scoped).is_some());
        pages.submitted(&submit(7, "c3|/event create|p1/2", &[("title", "x")]));
        let Submitted::Complete(line) =
            pages.submitted(&submit(7, "c3|/event create|p2/2", &[("capacity", "3")]))
        else {
            panic!("complete");
        };
        assert_eq!(line, r#"/event create title:"x" capacity:"3""#);
    }
}
