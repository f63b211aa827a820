//! `Reply` → Discord: an embed for the text and fields, a row of buttons whose custom ids are
//! the core's action ids, and a modal for a `Form`. Discord's limits are enforced here so an
//! over-long profile never makes Discord refuse the whole message.

use bot_core::reply::{ButtonStyle, Form, Reply};
use serenity::all::{
    ButtonStyle as DiscordStyle, CreateActionRow, CreateAttachment, CreateButton, CreateEmbed,
    CreateInputText, CreateModal, InputTextStyle,
};

const EMBED_DESCRIPTION: usize = 4096;
const EMBED_TITLE: usize = 256;
const FIELD_NAME: usize = 256;
const FIELD_VALUE: usize = 1024;
const MAX_FIELDS: usize = 25;
const BUTTON_LABEL: usize = 80;
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;
const MODAL_TITLE: usize = 45;
/// Discord allows five inputs in a modal; a longer form keeps its first five.
pub const MODAL_INPUTS: usize = 5;
const INPUT_LABEL: usize = 45;
/// Custom ids are at most 100 characters.
pub const CUSTOM_ID: usize = 100;

const ERROR_COLOUR: u32 = 0xd9_3f_3f;
const COLOUR: u32 = 0x58_65_f2;

pub fn embed(reply: &Reply) -> CreateEmbed {
    let mut embed = CreateEmbed::new()
        .description(cut(&reply.text, EMBED_DESCRIPTION))
        .colour(if reply.error { ERROR_COLOUR } else { COLOUR });
    if let Some(title) = &reply.title {
        embed = embed.title(cut(title, EMBED_TITLE));
    }
    for (label, value) in reply.fields.iter().take(MAX_FIELDS) {
        embed = embed.field(cut(label, FIELD_NAME), cut(value, FIELD_VALUE), true);
    }
    embed
}

pub fn components(reply: &Reply) -> Vec<CreateActionRow> {
    reply
        .buttons
        .chunks(BUTTONS_PER_ROW)
        .take(MAX_ROWS)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .filter(|b| b.action.len() <= CUSTOM_ID)
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

pub fn attachment(reply: &Reply) -> Option<CreateAttachment> {
    reply
        .attachment
        .as_ref()
        // The file's bytes: a `;base64` chart is decoded, so Discord shows a PNG.
        .map(|a| CreateAttachment::bytes(a.bytes(), a.filename.clone()))
}

/// The modal for a form: its custom id is the command the answers complete, each input's is
/// the grammar key it fills.
pub fn modal(form: &Form) -> Option<CreateModal> {
    if form.command.len() > CUSTOM_ID {
        return None;
    }
    let inputs = form
        .fields
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
    Some(CreateModal::new(form.command.clone(), cut(&form.title, MODAL_TITLE)).components(inputs))
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

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::i18n::Locale;

    #[test]
    fn buttons_carry_action_ids_and_long_text_is_cut_to_discords_limits() {
        let mut reply = Reply::text(Locale::En, "x".repeat(5000)).titled("t");
        for i in 0..7 {
            reply = reply.button(format!("b{i}"), format!("v1.ap.{i}"), ButtonStyle::Primary);
        }
        let json = serde_json::to_value(embed(&reply)).unwrap();
        assert_eq!(
            json["description"].as_str().unwrap().chars().count(),
            EMBED_DESCRIPTION
        );
        let rows = serde_json::to_value(components(&reply)).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 2, "5 + 2 buttons");
        assert_eq!(rows[1]["components"][1]["custom_id"], "v1.ap.6");
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
