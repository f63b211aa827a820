//! alumni-bot's platform-neutral core: domain, commands, replies, store, jobs and messages.
//! Adapters (Discord, Slack, the shell) turn platform events into an `Actor` plus a `Command`
//! or `Action`, call [`service::Core`], and render the `Reply`.

pub mod action;
pub mod chart;
pub mod clock;
pub mod command;
pub mod domain;
pub mod error;
pub mod event;
pub mod health;
pub mod i18n;
pub mod ics;
pub mod invite_code;
pub mod jobs;
pub mod messenger;
pub mod pairing;
pub mod recurrence;
pub mod reply;
pub mod roster;
pub mod scheduler;
pub mod search;
pub mod service;
pub mod social;
pub mod store;
pub mod testing;
pub mod time;
