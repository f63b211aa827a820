//! `Reply`: a platform-neutral rich message. Discord renders it as an embed with components,
//! Slack as Block Kit, the shell as plain text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Identity, MemberId};
use crate::event::EventId;
use crate::i18n::Locale;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub locale: Locale,
    /// A short title line (embed title, Slack header); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub text: String,
    /// Label/value pairs (embed fields, Slack section fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Only the asker sees it (Discord ephemeral, Slack ephemeral).
    #[serde(default)]
    pub ephemeral: bool,
    /// A form to fill in (a modal on Discord and Slack; the next line in the shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
    /// The reply reports a user error.
    #[serde(default)]
    pub error: bool,
    /// The reader's time zone, for adapters that cannot show `<t:…>` markers natively (the
    /// shell); Discord and Slack show each reader their own zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// A file to attach (an .ics calendar file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// What the command or button changed, for adapters that keep something of their own in
    /// step (Discord's scheduled events and member role): typed, so no adapter re-reads the
    /// command line or the message to learn it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    /// On an error: the key (option) it is about, so a form can show it on that field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_key: Option<String>,
}

/// A change the core made, as an adapter needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    EventCreated {
        id: EventId,
    },
    /// Edited (time, title, place, repeat…).
    EventChanged {
        id: EventId,
    },
    EventCancelled {
        id: EventId,
    },
    /// A repeating event moved on to `occurrence`: carried by that occurrence's announcement
    /// (a delivered job), so whichever process delivers it learns of it.
    EventRolled {
        id: EventId,
        occurrence: DateTime<Utc>,
    },
    /// What platform role the member should hold may have changed (approved, rejected, left
    /// or erased, role changed). `identities` are theirs as of before the change (an erased
    /// member has none left to look up); only in the process, never stored.
    StandingChanged {
        member: MemberId,
        #[serde(skip)]
        identities: Vec<Identity>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    /// A binary file (a PNG chart) has `;base64` at the end and its content in base64.
    pub content_type: String,
    pub content: String,
}

impl Attachment {
    /// The file's bytes (decoding a `;base64` binary): what an adapter uploads.
    pub fn bytes(&self) -> Vec<u8> {
        if self.content_type.ends_with(";base64")
            && let Some(b) = crate::chart::unbase64(&self.content)
        {
            return b;
        }
        self.content.clone().into_bytes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Danger,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    /// An encoded `Action` id.
    pub action: String,
    pub style: ButtonStyle,
}

/// A form completes a command: its answers are appended as `key:"value"` to `command`
/// and the result goes through the same grammar as typed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub title: String,
    pub command: String,
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub key: String,
    pub label: String,
    pub required: bool,
    pub long: bool,
}

impl Reply {
    pub fn text(locale: Locale, text: impl Into<String>) -> Reply {
        Reply {
            locale,
            title: None,
            text: text.into(),
            fields: Vec::new(),
            buttons: Vec::new(),
            ephemeral: false,
            form: None,
            error: false,
            timezone: None,
            attachment: None,
            effects: Vec::new(),
            error_key: None,
        }
    }

    /// Note what the command changed (see [`Effect`]).
    pub fn with_effect(mut self, effect: Effect) -> Reply {
        self.effects.push(effect);
        self
    }

    /// Read times in `tz` where the platform can't show them natively.
    pub fn in_tz(mut self, tz: chrono_tz::Tz) -> Reply {
        self.timezone = Some(tz.name().to_owned());
        self
    }

    pub fn private(mut self) -> Reply {
        self.ephemeral = true;
        self
    }

    pub fn titled(mut self, title: impl Into<String>) -> Reply {
        self.title = Some(title.into());
        self
    }

    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Reply {
        self.fields.push((label.into(), value.into()));
        self
    }

    pub fn button(mut self, label: impl Into<String>, action: String, style: ButtonStyle) -> Reply {
        self.buttons.push(Button {
            label: label.into(),
            action,
            style,
        });
        self
    }

    /// Plain text of the whole message, for the shell, logs and notification fallbacks.
    pub fn to_plain_text(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(title);
            out.push('\n');
        }
        out.push_str(&self.text);
        for (label, value) in &self.fields {
            out.push('\n');
            out.push_str(label);
            out.push_str(": ");
            out.push_str(value);
        }
        if let Some(form) = &self.form {
            out.push('\n');
            out.push_str(&form.title);
            for f in &form.fields {
                out.push_str(&format!(
                    "\n  {}:\"…\"  {}{}",
                    f.key,
                    f.label,
                    if f.required { " *" } else { "" }
                ));
            }
        }
        for b in &self.buttons {
            out.push_str(&format!("\n[{}] :click {}", b.label, b.action));
        }
        if let Some(a) = &self.attachment {
            out.push_str(&format!(
                "\n--- {} ---\n{}--- end of {} ---",
                a.filename,
                a.content.replace("\r\n", "\n"),
                a.filename
            ));
        }
        let tz = self
            .timezone
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::Tz::Asia__Tokyo);
        crate::time::render(&out, tz, self.locale)
    }
}
