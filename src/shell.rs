//! The local shell adapter: one line a command, as any member of one local community.
//!
//! `:as NAME [ja|en]` switches who is typing, `:click ACTION_ID` presses a button, a form is
//! answered with `key:value` on the next line, `:clock +2h` moves time. Deliveries (DMs and
//! channel posts) print as `>> to @NAME` / `>> to #CHANNEL` blocks, each once. With a script on
//! stdin it runs to EOF and exits 0; only a crash exits non-zero. A shell line the shell itself
//! cannot do (a clock moved backwards, an unknown `:` command) prints `(shell error: …)`, so a
//! transcript runner can tell it apart from the bot's own answers. `shell --clock TIME` starts
//! the clock at TIME instead of now, so a script runs on the dates it was written for.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use async_trait::async_trait;
use bot_core::clock::{Clock, OffsetClock};
use bot_core::domain::{Identity, Platform};
use bot_core::i18n::Locale;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use bot_core::reply::Reply;
use bot_core::scheduler::Scheduler;
use bot_core::service::when;
use bot_core::service::{Actor, Core};
use bot_core::time::{self, DateOrder, Reader, TimeError};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The one space the shell's community lives in.
pub const SPACE: &str = "local";

/// Prints each delivery once (keyed by its idempotency key).
#[derive(Default)]
pub struct ShellMessenger {
    seen: Mutex<HashSet<String>>,
}

#[async_trait]
impl Messenger for ShellMessenger {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        if !self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(d.key.clone())
        {
            return Ok(Some(d.key.clone()));
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            ">> to {}\n{}\n",
            address(&d.to),
            indent(&d.reply.to_plain_text())
        );
        let _ = out.flush();
        Ok(Some(d.key.clone()))
    }

    /// An edit replaces the whole message, so showing it twice is harmless (and a refresh
    /// reuses its key on purpose): no dedupe here.
    async fn update(&self, d: &Delivery, _message_ref: &str) -> Result<(), DeliveryError> {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            ">> edit {}\n{}\n",
            address(&d.to),
            indent(&d.reply.to_plain_text())
        );
        let _ = out.flush();
        Ok(())
    }
}

fn address(to: &Address) -> String {
    match to {
        Address::Direct(identity) => format!("@{}", identity.handle),
        Address::Channel(channel) => format!("#{}", channel.trim_start_matches('#')),
        Address::Group(people) => people
            .iter()
            .map(|i| format!("@{}", i.handle))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub struct Shell {
    core: Arc<Core>,
    scheduler: Scheduler,
    messenger: Arc<ShellMessenger>,
    clock: Arc<OffsetClock>,
    user: String,
    /// Locale chosen per shell user with `:as NAME ja|en`, else the shell's.
    locales: HashMap<String, Locale>,
    default_locale: Option<Locale>,
    /// The timezone `:clock` reads local times in.
    timezone: chrono_tz::Tz,
    /// Started with `--clock`: say where the clock stands before the first line.
    started_at: bool,
}

/// The shell's own refusals, marked so that a transcript runner can fail on them.
fn shell_error(message: impl std::fmt::Display) {
    println!("(shell error: {message})");
}

impl Shell {
    pub fn new(
        core: Arc<Core>,
        clock: Arc<OffsetClock>,
        user: String,
        default_locale: Option<Locale>,
        timezone: chrono_tz::Tz,
    ) -> Shell {
        let messenger = Arc::new(ShellMessenger::default());
        let scheduler = Scheduler::new(core.clone(), messenger.clone());
        Shell {
            core,
            scheduler,
            messenger,
            clock,
            user,
            locales: HashMap::new(),
            default_locale,
            timezone,
            started_at: false,
        }
    }

    /// Start the clock at `at` (`shell --clock`), in the past too: before the first line nothing
    /// has been delivered on the real time yet, so setting it back loses nothing.
    pub fn starting_at(mut self, at: DateTime<Utc>) -> Shell {
        self.clock.advance(at - self.clock.now());
        self.started_at = true;
        self
    }

    fn print_clock(&self) {
        println!(
            "(clock: {})",
            self.clock
                .now()
                .with_timezone(&self.timezone)
                .format("%Y-%m-%d %H:%M %Z")
        );
    }

    fn actor(&self) -> Actor {
        Actor {
            identity: Identity {
                platform: Platform::Shell,
                space_id: SPACE.to_owned(),
                user_id: self.user.clone(),
                handle: self.user.clone(),
            },
            locale: self
                .locales
                .get(&self.user)
                .copied()
                .or(self.default_locale),
            platform_admin: false,
        }
    }

    pub async fn run(mut self) -> Result<()> {
        let interactive = std::io::stdin().is_terminal();
        if interactive {
            println!(
                "alumni-bot shell — /alumni help for commands, :help for shell commands, :quit to leave."
            );
        }
        if self.started_at {
            self.print_clock();
        }
        if let Err(e) = self.core.bootstrap(Platform::Shell, SPACE).await {
            tracing::warn!(error = %e, "could not set up the bootstrap admins");
        }
        // Deliver anything left from an earlier run before reading.
        self.deliver_due().await;
        // At a terminal, time passes while nobody types: a background runner delivers what
        // falls due (it sleeps until then). A script stays deterministic: jobs run after each
        // line only.
        let background = interactive.then(|| {
            let runner = Scheduler::new(self.core.clone(), self.messenger.clone());
            tokio::spawn(runner.run())
        });
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut pending_form: Option<String> = None;
        loop {
            if interactive {
                print!("{}> ", self.user);
                let _ = std::io::stdout().flush();
            }
            let Some(line) = lines.next_line().await? else {
                break;
            };
            let line = line.trim();
            if !interactive && !line.is_empty() {
                println!("{}> {line}", self.user);
            }
            if let Some(command) = pending_form.take() {
                // A form's answers: `key:value …` completing the command. Anything that looks
                // like a new command instead abandons the form.
                if !line.starts_with('/') && !line.starts_with(':') {
                    let full = format!("{command} {line}");
                    let reply = self.core.handle_text(&self.actor(), &full).await;
                    pending_form = self.print(&reply);
                    self.deliver_due().await;
                    continue;
                }
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix(':') {
                match self.meta(rest).await {
                    Meta::Quit => break,
                    Meta::Reply(reply) => pending_form = self.print(&reply),
                    Meta::Done => {}
                }
            } else {
                let reply = self.core.handle_text(&self.actor(), line).await;
                pending_form = self.print(&reply);
            }
            self.deliver_due().await;
        }
        if let Some(task) = background {
            task.abort();
        }
        Ok(())
    }

    async fn meta(&mut self, rest: &str) -> Meta {
        let mut words = rest.split_whitespace();
        match words.next().unwrap_or("") {
            "quit" | "q" | "exit" => Meta::Quit,
            "as" => {
                match words.next() {
                    Some(name) => {
                        self.user = name.trim_start_matches('@').to_owned();
                        if let Some(l) = words.next().and_then(|l| l.parse::<Locale>().ok()) {
                            self.locales.insert(self.user.clone(), l);
                        }
                        println!("(now typing as {})", self.user);
                    }
                    None => println!("(typing as {})", self.user),
                }
                Meta::Done
            }
            "locale" => {
                if let Some(l) = words.next().and_then(|l| l.parse::<Locale>().ok()) {
                    self.locales.insert(self.user.clone(), l);
                    println!("({} now uses {l})", self.user);
                } else {
                    shell_error("usage: :locale ja|en");
                }
                Meta::Done
            }
            "click" => match words.next() {
                Some(id) => Meta::Reply(Box::new(self.core.handle_action(&self.actor(), id).await)),
                None => {
                    shell_error("usage: :click ACTION_ID");
                    Meta::Done
                }
            },
            "clock" => {
                let arg = words.collect::<Vec<_>>().join(" ");
                let moved = self.move_clock(&arg);
                // The background runner sleeps on real time: wake it to look again.
                self.core.jobs_written().notify_one();
                match moved {
                    Ok(()) => self.print_clock(),
                    Err(e) => shell_error(e),
                }
                Meta::Done
            }
            "help" => {
                println!(
                    "(:as NAME [ja|en]  switch user · :locale ja|en · :click ACTION_ID · \
                     :clock +2h | +30m | +1d | 2026-12-18T18:00 | 明日 19時 · :quit)"
                );
                Meta::Done
            }
            other => {
                shell_error(format_args!("unknown shell command :{other}; try :help"));
                Meta::Done
            }
        }
    }

    fn move_clock(&self, arg: &str) -> Result<(), String> {
        let arg = arg.trim();
        if let Some(delta) = arg.strip_prefix('+') {
            let (num, unit) = delta.split_at(
                delta
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(delta.len()),
            );
            let n: i64 = num.parse().map_err(|_| format!("bad duration {arg:?}"))?;
            let by = match unit {
                "m" | "min" => TimeDelta::minutes(n),
                "h" => TimeDelta::hours(n),
                "d" => TimeDelta::days(n),
                "w" => TimeDelta::weeks(n),
                "s" => TimeDelta::seconds(n),
                _ => return Err(format!("bad duration {arg:?}: use +30m, +2h, +1d")),
            };
            self.clock.advance(by);
            return Ok(());
        }
        let now = self.clock.now();
        let locale = self.default_locale.unwrap_or_default();
        let reader = Reader::new(self.timezone, now, DateOrder::of(locale));
        let at = match time::read(arg, &reader) {
            Ok(reading) => reading.at,
            Err(TimeError::Unreadable) => {
                return Err(format!(
                    "bad time {arg:?}: use 2026-12-18T18:00, 明日 19時 or tomorrow 7pm"
                ));
            }
            Err(e) => {
                return Err(
                    when::refusal(e, "clock", arg, self.timezone, locale, None).render(locale)
                );
            }
        };
        if at < now {
            return Err(format!(
                "the clock only moves forward: it is {} (start with `shell --clock TIME` for an \
                 earlier date)",
                now.with_timezone(&self.timezone)
                    .format("%Y-%m-%d %H:%M %Z")
            ));
        }
        self.clock.jump_to(at);
        Ok(())
    }

    async fn deliver_due(&self) {
        if let Err(e) = self.scheduler.run_due().await {
            tracing::warn!(error = %e, "could not deliver due jobs");
        }
    }

    /// Print a reply; returns the command a form wants completed on the next line.
    fn print(&self, reply: &Reply) -> Option<String> {
        println!("{}\n", reply.to_plain_text());
        reply.form.as_ref().map(|f| f.command.clone())
    }
}

enum Meta {
    Quit,
    Done,
    Reply(Box<Reply>),
}

/// A time as `:clock` and `--clock` take it: ISO 8601 with or without an offset, or a phrase
/// (`明日 19時`, `tomorrow 7pm`) read from `now` in `tz` by the core's one parser.
pub fn parse_time(text: &str, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    bot_core::time::parse_datetime(text, tz, now).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// `:clock` takes ISO 8601 as the README says, with an offset and minutes only too
    /// (#15 item 5: `2030-12-18T18:30+09:00` was refused as a bad time).
    #[test]
    fn clock_times_read_iso_8601_with_or_without_offset_and_seconds() {
        let tokyo = chrono_tz::Asia::Tokyo;
        let want = Utc.with_ymd_and_hms(2030, 12, 18, 9, 30, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2030, 12, 1, 0, 0, 0).unwrap();
        for text in [
            "2030-12-18T18:30+09:00",
            "2030-12-18T18:30:00+09:00",
            "2030-12-18T09:30Z",
            "2030-12-18 18:30+09:00",
            "2030-12-18T18:30",
        ] {
            assert_eq!(parse_time(text, tokyo, now), Some(want), "{text}");
        }
        assert_eq!(parse_time("2030-12-18T18:30+99:00", tokyo, now), None);
    }
}
