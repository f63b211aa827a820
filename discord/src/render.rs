//! `Reply` → Discord: embeds for the text and fields, rows of buttons whose custom ids are the
//! core's action ids, and a modal for a `Form`. Discord refuses a whole message past any of its
//! limits, so a reply is split into as many messages as it needs ([`pages`]): a long text or
//! field goes on in the next embed, buttons past 25 in the next message. Nothing is dropped
//! silently; what cannot be split (a title, a label) is cut with a visible "…".

use bot_core::i18n::{self, Locale};
use bot_core::reply::{Button, ButtonStyle, Form, FormField, Reply};
use serenity::all::{
    ButtonStyle as DiscordStyle, CreateActionRow, CreateAttachment, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInputText, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateModal, EditInteractionResponse, Http, InputTextStyle,
};

/// Characters across all embeds of one message (title, description, field names and values,
/// footer text, author name).
pub const EMBED_TOTAL: usize = 6000;
const EMBED_DESCRIPTION: usize = 4096;
const EMBED_TITLE: usize = 256;
const FIELD_NAME: usize = 256;
const FIELD_VALUE: usize = 1024;
const MAX_FIELDS: usize = 25;
const BUTTON_LABEL: usize = 80;
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;
/// Buttons one message can carry: 5 rows of 5.
pub const BUTTONS_PER_MESSAGE: usize = BUTTONS_PER_ROW * MAX_ROWS;
const MODAL_TITLE: usize = 45;
/// Discord allows five inputs in a modal; a longer form is asked page by page
/// (`modal_pages`).
pub const MODAL_INPUTS: usize = 5;
const INPUT_LABEL: usize = 45;
/// Custom ids are at most 100 characters.
pub const CUSTOM_ID: usize = 100;
/// Kept free in every embed for its footer ("2/3", or the note that it was shortened).
const FOOTER_ROOM: usize = 100;
/// Discord refuses an empty field name or value; a zero-width space shows as blank.
const BLANK: &str = "\u{200b}";

const ERROR_COLOUR: u32 = 0xd9_3f_3f;
const COLOUR: u32 = 0x58_65_f2;

/// One Discord message of a reply: its embed and up to 25 buttons.
pub struct Page {
    pub embed: CreateEmbed,
    pub components: Vec<CreateActionRow>,
}

/// The messages a reply needs: the first carries the title, the text and as many fields as
/// fit; the next ones the rest of the text and fields, then buttons past the first 25. Each
/// holds at most 6,000 characters and 25 buttons; with more than one, each says "n/N".
pub fn pages(reply: &Reply) -> Vec<Page> {
    let parts = parts(reply);
    let buttons = usable_buttons(reply);
    let button_pages: Vec<&[Button]> = buttons.chunks(BUTTONS_PER_MESSAGE).collect();
    let count = parts.len().max(button_pages.len()).max(1);
    (0..count)
        .map(|i| {
            let mut embed = match parts.get(i) {
                Some(part) => part.embed(),
                None => CreateEmbed::new().description(i18n::t(
                    reply.locale,
                    "discord.more_buttons",
                    &[],
                )),
            };
            embed = embed.colour(colour(reply));
            if count > 1 {
                embed = embed.footer(CreateEmbedFooter::new(format!("{}/{count}", i + 1)));
            }
            let components = button_pages.get(i).map(|b| rows(b)).unwrap_or_default();
            Page { embed, components }
        })
        .collect()
}

/// The reply in ONE embed, for a post that cannot be followed by more (a scheduled
/// notification): the first message's embed, its footer saying it was shortened when the
/// rest did not fit.
pub fn embed(reply: &Reply) -> CreateEmbed {
    let parts = parts(reply);
    let mut embed = parts[0].embed().colour(colour(reply));
    if parts.len() > 1 {
        tracing::warn!(
            messages = parts.len(),
            "a reply longer than one Discord message was shortened"
        );
        embed = embed.footer(CreateEmbedFooter::new(i18n::t(
            reply.locale,
            "discord.cut",
            &[],
        )));
    }
    embed
}

/// The first message's buttons (at most 25), for a post that cannot be followed by more.
pub fn components(reply: &Reply) -> Vec<CreateActionRow> {
    let buttons = usable_buttons(reply);
    if buttons.len() > BUTTONS_PER_MESSAGE {
        tracing::warn!(
            buttons = buttons.len(),
            "more buttons than one Discord message holds; the first 25 are shown"
        );
    }
    rows(&buttons[..buttons.len().min(BUTTONS_PER_MESSAGE)])
}

/// The first message as an interaction's response (with the file, if any); the others follow
/// with [`send_rest`].
pub fn response_message(reply: &Reply, ephemeral: bool) -> CreateInteractionResponseMessage {
    let page = pages(reply).swap_remove(0);
    let mut m = CreateInteractionResponseMessage::new()
        .embed(page.embed)
        .components(page.components)
        .ephemeral(ephemeral || reply.ephemeral);
    if let Some(file) = attachment(reply) {
        m = m.add_file(file);
    }
    m
}

/// The first message as the edit of a deferred response; the others follow with
/// [`send_rest`].
pub fn response_edit(reply: &Reply) -> EditInteractionResponse {
    let page = pages(reply).swap_remove(0);
    let mut e = EditInteractionResponse::new()
        .embed(page.embed)
        .components(page.components);
    if let Some(file) = attachment(reply) {
        e = e.new_attachment(file);
    }
    e
}

/// The first message as a follow-up (with the file, if any).
pub fn first_followup(reply: &Reply, ephemeral: bool) -> CreateInteractionResponseFollowup {
    let page = pages(reply).swap_remove(0);
    let mut f = followup(page, ephemeral);
    if let Some(file) = attachment(reply) {
        f = f.add_file(file);
    }
    f
}

fn followup(page: Page, ephemeral: bool) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .embed(page.embed)
        .components(page.components)
        .ephemeral(ephemeral)
}

/// The messages after the first, as follow-ups to the interaction `token` answered with it,
/// in order; only the asker sees them when `ephemeral`.
pub async fn send_rest(http: &Http, token: &str, reply: &Reply, ephemeral: bool) {
    for page in pages(reply).into_iter().skip(1) {
        let message = followup(page, ephemeral);
        if let Err(e) = http
            .create_followup_message(token, &message, Vec::new())
            .await
        {
            tracing::warn!(error = %e, "sending the rest of a long answer");
            return;
        }
    }
}

pub fn attachment(reply: &Reply) -> Option<CreateAttachment> {
    reply
        .attachment
        .as_ref()
        // The file's bytes: a `;base64` chart is decoded, so Discord shows a PNG.
        .map(|a| CreateAttachment::bytes(a.bytes(), a.filename.clone()))
}

/// The modal for a form of at most five fields: its custom id is the command the answers
/// complete, each input's is the grammar key it fills. A longer form goes page by page
/// (`modal_pages`), each page made by [`modal_page`].
pub fn modal(form: &Form) -> Option<CreateModal> {
    if form.fields.len() > MODAL_INPUTS {
        tracing::warn!(
            fields = form.fields.len(),
            "a form of more than five fields in one modal"
        );
    }
    let fields = &form.fields[..form.fields.len().min(MODAL_INPUTS)];
    modal_page(&form.command, &form.title, fields)
}

/// A modal of `fields` (at most five) with custom id `id` and `title`, cut to Discord's 45.
pub fn modal_page(id: &str, title: &str, fields: &[FormField]) -> Option<CreateModal> {
    if id.chars().count() > CUSTOM_ID || fields.is_empty() {
        return None;
    }
    let inputs = fields
        .iter()
        .take(MODAL_INPUTS)
        .map(|f| {
            let style = if f.long {
                InputTextStyle::Paragraph
            } else {
                InputTextStyle::Short
            };
            CreateActionRow::InputText(
                CreateInputText::new(style, cut(&f.label, INPUT_LABEL), f.key.clone())
                    .required(f.required),
            )
        })
        .collect();
    Some(CreateModal::new(id, cut(title, MODAL_TITLE)).components(inputs))
}

/// At most `max` characters, with an ellipsis when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// `text` in pieces of at most `max` characters, losing nothing but the line breaks or
/// spaces it is split at: at the last line break that fits, else the last space, else
/// mid-word (Japanese has no spaces).
fn split(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.chars().count() > max {
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let head = &rest[..limit];
        let at = head
            .rfind('\n')
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        let piece = rest[..at].trim_end();
        if !piece.is_empty() {
            out.push(piece.to_owned());
        }
        rest = rest[at..].trim_start_matches(['\n', ' ']);
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// What one embed shows.
#[derive(Default)]
struct Part {
    title: Option<String>,
    description: Option<String>,
    fields: Vec<(String, String)>,
    chars: usize,
}

impl Part {
    fn embed(&self) -> CreateEmbed {
        let mut embed = CreateEmbed::new();
        if let Some(title) = &self.title {
            embed = embed.title(title);
        }
        match &self.description {
            Some(d) => embed = embed.description(d),
            None if self.title.is_none() && self.fields.is_empty() => {
                embed = embed.description(BLANK);
            }
            None => {}
        }
        for (name, value) in &self.fields {
            embed = embed.field(name, value, true);
        }
        embed
    }
}

/// The reply's text and fields spread over embeds within Discord's limits: a description
/// past 4,096 characters goes on in the next embed, a field value past 1,024 in another field
/// of the same name, and an embed is full at 25 fields or 6,000 characters (less room for
/// its footer).
fn parts(reply: &Reply) -> Vec<Part> {
    let budget = EMBED_TOTAL - FOOTER_ROOM;
    let mut parts = Vec::new();
    let mut part = Part::default();
    if let Some(title) = &reply.title {
        let title = cut(title, EMBED_TITLE);
        part.chars += title.chars().count();
        part.title = Some(title);
    }
    if !reply.text.is_empty() {
        for (i, piece) in split(&reply.text, EMBED_DESCRIPTION)
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                parts.push(std::mem::take(&mut part));
            }
            part.chars += piece.chars().count();
            part.description = Some(piece);
        }
    }
    for (label, value) in &reply.fields {
        let name = non_blank(cut(label, FIELD_NAME));
        for piece in split(value, FIELD_VALUE) {
            let piece = non_blank(piece);
            let size = name.chars().count() + piece.chars().count();
            if part.fields.len() == MAX_FIELDS || part.chars + size > budget {
                parts.push(std::mem::take(&mut part));
            }
            part.chars += size;
            part.fields.push((name.clone(), piece));
        }
    }
    parts.push(part);
    parts
}

fn non_blank(text: String) -> String {
    if text.trim().is_empty() {
        BLANK.to_owned()
    } else {
        text
    }
}

fn colour(reply: &Reply) -> u32 {
    if reply.error { ERROR_COLOUR } else { COLOUR }
}

/// The buttons Discord can carry. A custom id past 100 characters cannot be sent at all (the
/// core's action ids never are); it is left out loudly rather than failing the message.
fn usable_buttons(reply: &Reply) -> Vec<Button> {
    reply
        .buttons
        .iter()
        .filter(|b| {
            let fits = b.action.chars().count() <= CUSTOM_ID;
            if !fits {
                tracing::error!(id = %b.action, "a button id longer than Discord allows");
            }
            fits
        })
        .cloned()
        .collect()
}

fn rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    buttons
        .chunks(BUTTONS_PER_ROW)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(b.action.clone())
                            .label(cut(&b.label, BUTTON_LABEL))
                            .style(match b.style {
                                ButtonStyle::Primary => DiscordStyle::Primary,
                                ButtonStyle::Secondary => DiscordStyle::Secondary,
                                ButtonStyle::Danger => DiscordStyle::Danger,
                            })
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The locale a Discord interaction's `locale` tag names (English if not Japanese).
pub fn locale_of(tag: &str) -> Locale {
    Locale::from_tag(tag).unwrap_or(Locale::En)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::i18n::Locale;

    fn json(page: &Page) -> (serde_json::Value, serde_json::Value) {
        (
            serde_json::to_value(&page.embed).unwrap(),
            serde_json::to_value(&page.components).unwrap(),
        )
    }

    /// What an embed counts towards Discord's 6,000 characters.
    fn size(embed: &serde_json::Value) -> usize {
        let n = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
        n(&embed["title"])
            + n(&embed["description"])
            + n(&embed["footer"]["text"])
            + embed["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| n(&f["name"]) + n(&f["value"]))
                .sum::<usize>()
    }

    #[test]
    fn a_long_reply_is_split_into_messages_within_discords_limits_losing_nothing() {
        // 9,000 characters of text, then 30 fields of 1,500 characters each.
        let words: Vec<String> = (0..1500).map(|i| format!("w{i:04}")).collect();
        let text = words.join(" ");
        let mut reply = Reply::text(Locale::En, text.clone()).titled("t".repeat(300));
        for f in 0..30 {
            let value: Vec<String> = (0..250).map(|i| format!("f{f:02}v{i:03}")).collect();
            reply = reply.field(format!("Field {f}"), value.join(" "));
        }
        let pages = pages(&reply);
        assert!(pages.len() >= 9, "{} messages", pages.len());
        let mut description = Vec::new();
        let mut fields: Vec<(String, String)> = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let (embed, _) = json(page);
            assert!(size(&embed) <= EMBED_TOTAL, "message {i}: {}", size(&embed));
            assert_eq!(
                embed["footer"]["text"],
                format!("{}/{}", i + 1, pages.len())
            );
            if let Some(d) = embed["description"].as_str() {
                assert!(d.chars().count() <= EMBED_DESCRIPTION);
                description.push(d.to_owned());
            }
            let these = embed["fields"].as_array().cloned().unwrap_or_default();
            assert!(these.len() <= MAX_FIELDS);
            for f in these {
                let value = f["value"].as_str().unwrap();
                assert!(value.chars().count() <= FIELD_VALUE);
                fields.push((f["name"].as_str().unwrap().into(), value.into()));
            }
        }
        // The title alone is cut, visibly.
        let (first, _) = json(&pages[0]);
        let title = first["title"].as_str().unwrap();
        assert!(title.chars().count() == EMBED_TITLE && title.ends_with('…'));
        assert_eq!(description.join(" "), text, "the whole text, in order");
        for f in 0..30 {
            let name = format!("Field {f}");
            let value: Vec<&str> = fields
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(value.join(" "), reply.fields[f].1, "{name} whole");
        }
    }

    #[test]
    fn buttons_past_25_go_on_in_the_next_message() {
        let mut reply = Reply::text(Locale::Ja, "承認待ち");
        for i in 0..32 {
            reply = reply.button(
                format!("b{i} {}", "x".repeat(90)),
                format!("v1.ap.{i}"),
                ButtonStyle::Primary,
            );
        }
        let pages = pages(&reply);
        assert_eq!(pages.len(), 2);
        let (_, first) = json(&pages[0]);
        let (embed, second) = json(&pages[1]);
        assert_eq!(first.as_array().unwrap().len(), MAX_ROWS);
        assert_eq!(second.as_array().unwrap().len(), 2, "7 buttons: 5 + 2");
        assert_eq!(second[1]["components"][1]["custom_id"], "v1.ap.31");
        let label = first[0]["components"][0]["label"].as_str().unwrap();
        assert!(label.chars().count() == BUTTON_LABEL && label.ends_with('…'));
        assert_eq!(
            embed["description"],
            i18n::t(Locale::Ja, "discord.more_buttons", &[])
        );
        assert_eq!(embed["footer"]["text"], "2/2");
        // One message only (a scheduled post): the first 25.
        let only = serde_json::to_value(components(&reply)).unwrap();
        assert_eq!(only.as_array().unwrap().len(), MAX_ROWS);
    }

    #[test]
    fn a_short_reply_is_one_message_and_one_embed_says_when_it_was_shortened() {
        let reply = Reply::text(Locale::En, "hello").field("a", "");
        let pages = pages(&reply);
        assert_eq!(pages.len(), 1);
        let (short, rows) = json(&pages[0]);
        assert!(short["footer"].is_null() && rows.as_array().unwrap().is_empty());
        assert_eq!(short["fields"][0]["value"], BLANK, "never an empty value");

        let long = Reply::text(Locale::En, "y ".repeat(5000));
        let one = serde_json::to_value(embed(&long)).unwrap();
        assert!(size(&one) <= EMBED_TOTAL);
        assert_eq!(
            one["footer"]["text"],
            i18n::t(Locale::En, "discord.cut", &[])
        );
    }

    #[test]
    fn a_base64_chart_is_uploaded_as_its_bytes_and_text_as_is() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0xff];
        let mut reply = Reply::text(Locale::Ja, "stats");
        reply.attachment = Some(bot_core::reply::Attachment {
            filename: "stats.png".into(),
            content_type: "image/png;base64".into(),
            content: bot_core::chart::base64(&png),
        });
        let file = attachment(&reply).unwrap();
        assert_eq!(
            (file.filename.as_str(), &file.data[..]),
            ("stats.png", &png[..])
        );
        reply.attachment = Some(bot_core::reply::Attachment {
            filename: "mydata.json".into(),
            content_type: "application/json".into(),
            content: "{\"a\":1}".into(),
        });
        assert_eq!(attachment(&reply).unwrap().data, b"{\"a\":1}");
    }
}
