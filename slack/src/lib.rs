//! The Slack adapter: slash commands, interactivity (buttons, modals), Events API (App Home,
//! welcomes, uninstalls), OAuth install to many workspaces, and the Web API `Messenger`.
//!
//! - `signature`: v0 request signatures, checked before anything reads a request.
//! - `blocks`, `modal`: a core `Reply` as Block Kit; a `Form` as a modal and back.
//! - `app`: what each input does, whatever transport brought it.
//! - `http`: the axum router (`/slack/*`, `/healthz`).
//! - `api`, `tokens`, `messenger`: Web API calls (slack-morphism's hyper client), which token a
//!   workspace uses, and the scheduler's deliveries.

pub mod api;
pub mod app;
pub mod blocks;
pub mod config;
pub mod files;
pub mod http;
pub mod import;
pub mod manifest;
pub mod messenger;
pub mod modal;
pub mod sealed;
pub mod signature;
pub mod socket;
mod start;
pub mod tokens;

pub use api::SlackApi;
pub use app::SlackApp;
pub use config::SlackConfig;
pub use messenger::SlackMessenger;
pub use start::{StartError, Started, start};
