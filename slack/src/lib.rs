//! The Slack adapter. So far its platform-independent parts, tested on their own: request
//! signature verification (`signature`) and rendering a core `Reply` as Block Kit (`blocks`).
//! The HTTP endpoints, Socket Mode, OAuth install and the Web API `Messenger` (slack-morphism)
//! build on these in the Slack issue.

pub mod blocks;
pub mod signature;
