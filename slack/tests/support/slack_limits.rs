//! Slack's documented Block Kit limits, as the Web API checks them: a message (chat.postMessage,
//! chat.update, chat.postEphemeral, a response_url post, a slash command's inline answer) or a
//! view (views.open / update / push / publish) past any of them is refused. Each problem is
//! reported the way Slack words it in `response_metadata.messages`:
//! `[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
//!
//! Sources: the Block Kit reference (blocks, block elements, composition objects) and the
//! modal / view object reference: 50 blocks a message, 100 a modal or Home tab; section text
//! 1–3,000 characters, 10 fields of 2,000; header 150; block_id and action_id 255; button text
//! 75, value 2,000, url 3,000; 25 elements an actions block, 10 a context block; modal title,
//! submit and close 24; input label 2,000, placeholder 150; private_metadata 3,000;
//! callback_id 255. Lengths count characters (a Japanese character is one).

use std::collections::HashSet;

use serde_json::Value;

pub const MESSAGE_BLOCKS: usize = 50;
pub const VIEW_BLOCKS: usize = 100;
pub const SECTION_TEXT: usize = 3000;
pub const SECTION_FIELDS: usize = 10;
pub const FIELD_TEXT: usize = 2000;
pub const HEADER_TEXT: usize = 150;
pub const ID: usize = 255;
pub const BUTTON_TEXT: usize = 75;
pub const BUTTON_VALUE: usize = 2000;
pub const URL: usize = 3000;
pub const ACTIONS_ELEMENTS: usize = 25;
pub const CONTEXT_ELEMENTS: usize = 10;
pub const VIEW_TITLE: usize = 24;
pub const INPUT_LABEL: usize = 2000;
pub const PLACEHOLDER: usize = 150;
pub const PRIVATE_METADATA: usize = 3000;

struct Check {
    errors: Vec<String>,
}

impl Check {
    fn fail(&mut self, pointer: &str, what: impl std::fmt::Display) {
        self.errors
            .push(format!("[ERROR] {what} [json-pointer:{pointer}]"));
    }

    /// A string of 1..=max characters (`min_one` for text objects, which may not be empty).
    fn len(&mut self, pointer: &str, value: &Value, max: usize, min_one: bool) {
        let Some(s) = value.as_str() else {
            self.fail(pointer, "must be a string");
            return;
        };
        let n = s.chars().count();
        if n > max {
            self.fail(pointer, format!("must be less than {} characters", max + 1));
        } else if min_one && n == 0 {
            self.fail(pointer, "must be more than 0 characters");
        }
    }

    fn optional_len(&mut self, pointer: &str, value: &Value, max: usize) {
        if !value.is_null() {
            self.len(pointer, value, max, false);
        }
    }

    /// A text object: `plain_text` or `mrkdwn`, its text 1..=max characters.
    fn text(&mut self, pointer: &str, value: &Value, max: usize, plain_only: bool) {
        match value["type"].as_str() {
            Some("plain_text") => {}
            Some("mrkdwn") if !plain_only => {}
            _ => {
                self.fail(&format!("{pointer}/type"), "must be a valid text type");
                return;
            }
        }
        self.len(&format!("{pointer}/text"), &value["text"], max, true);
    }

    fn blocks(&mut self, pointer: &str, blocks: &Value, max: usize) {
        let Some(blocks) = blocks.as_array() else {
            if !blocks.is_null() {
                self.fail(pointer, "must be an array");
            }
            return;
        };
        if blocks.len() > max {
            self.fail(pointer, format!("no more than {max} items allowed"));
        }
        let mut block_ids = HashSet::new();
        for (i, block) in blocks.iter().enumerate() {
            let at = format!("{pointer}/{i}");
            if let Some(id) = block["block_id"].as_str() {
                self.len(&format!("{at}/block_id"), &block["block_id"], ID, true);
                if !block_ids.insert(id.to_owned()) {
                    self.fail(&format!("{at}/block_id"), "duplicate block_id");
                }
            }
            self.block(&at, block);
        }
    }

    fn block(&mut self, at: &str, block: &Value) {
        match block["type"].as_str().unwrap_or_default() {
            "section" => {
                if block["text"].is_null() && block["fields"].is_null() {
                    self.fail(at, "must provide either text or fields");
                }
                if !block["text"].is_null() {
                    self.text(&format!("{at}/text"), &block["text"], SECTION_TEXT, false);
                }
                if let Some(fields) = block["fields"].as_array() {
                    if fields.len() > SECTION_FIELDS {
                        self.fail(
                            &format!("{at}/fields"),
                            format!("no more than {SECTION_FIELDS} items allowed"),
                        );
                    }
                    for (j, f) in fields.iter().enumerate() {
                        self.text(&format!("{at}/fields/{j}"), f, FIELD_TEXT, false);
                    }
                }
                if !block["accessory"].is_null() {
                    let mut ids = HashSet::new();
                    self.element(&format!("{at}/accessory"), &block["accessory"], &mut ids);
                }
            }
            "header" => self.text(&format!("{at}/text"), &block["text"], HEADER_TEXT, true),
            "divider" => {}
            "actions" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > ACTIONS_ELEMENTS {
                    self.fail(
                        &format!("{at}/elements"),
                        format!("must have 1 to {ACTIONS_ELEMENTS} items"),
                    );
                }
                // action_id: "should be unique among all other action_ids in the containing block".
                let mut ids = HashSet::new();
                for (j, e) in elements.iter().enumerate() {
                    self.element(&format!("{at}/elements/{j}"), e, &mut ids);
                }
            }
            "context" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > CONTEXT_ELEMENTS {
                    self.fail(
                        &format!("{at}/elements"),
                        format!("must have 1 to {CONTEXT_ELEMENTS} items"),
                    );
                }
                for (j, e) in elements.iter().enumerate() {
                    if e["type"] != "image" {
                        self.text(&format!("{at}/elements/{j}"), e, SECTION_TEXT, false);
                    }
                }
            }
            "input" => {
                self.text(&format!("{at}/label"), &block["label"], INPUT_LABEL, true);
                let mut ids = HashSet::new();
                self.element(&format!("{at}/element"), &block["element"], &mut ids);
            }
            other => self.fail(&format!("{at}/type"), format!("unsupported type `{other}`")),
        }
    }

    fn element(&mut self, at: &str, e: &Value, action_ids: &mut HashSet<String>) {
        if let Some(id) = e["action_id"].as_str() {
            self.len(&format!("{at}/action_id"), &e["action_id"], ID, true);
            if !action_ids.insert(id.to_owned()) {
                self.fail(&format!("{at}/action_id"), "duplicate action_id");
            }
        }
        match e["type"].as_str().unwrap_or_default() {
            "button" => {
                self.text(&format!("{at}/text"), &e["text"], BUTTON_TEXT, true);
                self.optional_len(&format!("{at}/value"), &e["value"], BUTTON_VALUE);
                self.optional_len(&format!("{at}/url"), &e["url"], URL);
            }
            "plain_text_input" => {
                if !e["placeholder"].is_null() {
                    self.text(
                        &format!("{at}/placeholder"),
                        &e["placeholder"],
                        PLACEHOLDER,
                        true,
                    );
                }
                if let Some(max) = e["max_length"].as_u64()
                    && max > 3000
                {
                    self.fail(&format!("{at}/max_length"), "must be at most 3000");
                }
            }
            "file_input" => {}
            other => self.fail(&format!("{at}/type"), format!("unsupported type `{other}`")),
        }
    }
}

/// What Slack would refuse in a message body (`{text, blocks, …}`); empty when it is accepted.
pub fn check_message(body: &Value) -> Vec<String> {
    let mut c = Check { errors: Vec::new() };
    if body["blocks"].is_null() && body["text"].as_str().is_none_or(str::is_empty) {
        c.fail("/text", "text or blocks is required");
    }
    c.blocks("/blocks", &body["blocks"], MESSAGE_BLOCKS);
    c.errors
}

/// What Slack would refuse in a view (a modal or a Home tab); empty when it is accepted.
pub fn check_view(view: &Value) -> Vec<String> {
    let mut c = Check { errors: Vec::new() };
    match view["type"].as_str() {
        Some("modal") => {
            c.text("/view/title", &view["title"], VIEW_TITLE, true);
            for key in ["submit", "close"] {
                if !view[key].is_null() {
                    c.text(&format!("/view/{key}"), &view[key], VIEW_TITLE, true);
                }
            }
        }
        Some("home") => {}
        _ => c.fail("/view/type", "must be modal or home"),
    }
    c.optional_len(
        "/view/private_metadata",
        &view["private_metadata"],
        PRIVATE_METADATA,
    );
    c.optional_len("/view/callback_id", &view["callback_id"], ID);
    c.optional_len("/view/external_id", &view["external_id"], ID);
    if !view["blocks"].is_array() {
        c.fail("/view/blocks", "must be an array");
    }
    c.blocks("/view/blocks", &view["blocks"], VIEW_BLOCKS);
    c.errors
}
