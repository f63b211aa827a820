//! `/admin import` on Slack: a slash command cannot carry a file, so an admin's bare
//! `/admin import` opens a modal with a `file_input` (scope `files:read`); on submission the
//! CSV is downloaded from `url_private_download` with the workspace's bot token and handed to
//! the core with the command, exactly as Discord hands over an attachment.

use bot_core::i18n::{self, Locale};
use serde_json::{Value, json};

/// The modal's `callback_id`; its `private_metadata` is the typed line (`skip_bad:yes` kept).
pub const CALLBACK: &str = "admin_import";
/// The input block and its element.
const FILE_BLOCK: &str = "roster_file";
/// The largest roster downloaded (100,000 rows of HR's CSV are a few MiB), as on Discord.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The import modal for `line` (`/admin import [skip_bad:yes]`).
pub fn view(line: &str, locale: Locale) -> Value {
    json!({
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": line,
        "title": { "type": "plain_text", "text": i18n::t(locale, "slack.import_title", &[]) },
        "submit": { "type": "plain_text", "text": i18n::t(locale, "slack.import_submit", &[]) },
        "blocks": [{
            "type": "input",
            "block_id": FILE_BLOCK,
            "label": { "type": "plain_text", "text": i18n::t(locale, "key.file", &[]) },
            "element": {
                "type": "file_input",
                "action_id": FILE_BLOCK,
                "filetypes": ["csv"],
                "max_files": 1,
            },
        }],
    })
}

/// An uploaded file as a `view_submission` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub url: String,
    pub size: u64,
}

/// Whether a submitted view is the import modal.
pub fn is_import(view: &Value) -> bool {
    view["callback_id"].as_str() == Some(CALLBACK)
}

/// The typed line and the file of a submitted import modal.
pub fn submission(view: &Value) -> (String, Option<Upload>) {
    let line = view["private_metadata"]
        .as_str()
        .unwrap_or("/admin import")
        .to_owned();
    let file = &view["state"]["values"][FILE_BLOCK][FILE_BLOCK]["files"][0];
    let url = file["url_private_download"]
        .as_str()
        .or(file["url_private"].as_str());
    let upload = url.map(|url| Upload {
        url: url.to_owned(),
        size: file["size"].as_u64().unwrap_or(0),
    });
    (line, upload)
}

/// The modal stays open with this message on the file field.
pub fn field_error(text: &str) -> Value {
    json!({ "response_action": "errors", "errors": { FILE_BLOCK: text } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_gives_the_typed_line_and_the_download_url() {
        let view = json!({
            "callback_id": CALLBACK,
            "private_metadata": "/admin import skip_bad:yes",
            "state": { "values": { FILE_BLOCK: { FILE_BLOCK: { "type": "file_input", "files": [{
                "id": "F1", "name": "roster.csv", "size": 42,
                "url_private": "https://files.slack.com/files-pri/T1-F1/roster.csv",
                "url_private_download": "https://files.slack.com/files-pri/T1-F1/download/roster.csv",
            }] } } } },
        });
        assert!(is_import(&view));
        let (line, upload) = submission(&view);
        assert_eq!(line, "/admin import skip_bad:yes");
        assert_eq!(
            upload,
            Some(Upload {
                url: "https://files.slack.com/files-pri/T1-F1/download/roster.csv".into(),
                size: 42
            })
        );
    }

    #[test]
    fn the_modal_asks_for_one_csv_file_with_a_short_title() {
        for locale in [Locale::Ja, Locale::En] {
            let v = view("/admin import", locale);
            assert_eq!(v["blocks"][0]["element"]["type"], "file_input");
            assert!(v["title"]["text"].as_str().unwrap().chars().count() <= 24);
        }
    }
}
