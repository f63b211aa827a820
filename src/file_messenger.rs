//! A `Messenger` that appends every delivery attempt to a file, one line each:
//! `KEY<TAB>AT<TAB>TARGET<TAB>TEXT` (AT: when, RFC 3339). For batch runs, crash tests and
//! benchmarks, where no platform is reachable; the file stands in for the platform.
//!
//! With `dedupe`, it drops a repeated send as Discord's nonce does: only a key already sent
//! within the window (Discord keeps a nonce "the past few minutes"), and the dropped attempt is
//! still written, as `dropped:KEY…`, so a test counts what reached the platform and what it
//! refused. Past the window the same key is sent again. Edits are written as `edit:KEY…`.
//! `latency` holds each answer back after the line is written, as a platform's response
//! arrives after the message is posted: a process killed in between has posted a message
//! whose job is not done.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

const DROPPED: &str = "dropped:";
const EDIT: &str = "edit:";

pub struct FileMessenger {
    file: Mutex<File>,
    dedupe: Option<Dedupe>,
    latency: Duration,
}

/// What the "platform" remembers: when each key was last sent, read from the file itself so
/// a restarted process (or another one appending to it) sees earlier sends.
struct Dedupe {
    window: TimeDelta,
    state: Mutex<Seen>,
}

struct Seen {
    reader: BufReader<File>,
    sent: HashMap<String, DateTime<Utc>>,
}

impl Seen {
    /// Read the lines appended since the last look (by any process).
    fn catch_up(&mut self) -> std::io::Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if !line.ends_with('\n') {
                // A line still being written: read it whole next time.
                self.reader.seek(SeekFrom::Current(-(line.len() as i64)))?;
                return Ok(());
            }
            let mut cols = line.split('\t');
            let (Some(key), Some(at)) = (cols.next(), cols.next()) else {
                continue;
            };
            if key.starts_with(DROPPED) || key.starts_with(EDIT) {
                continue;
            }
            if let Ok(at) = DateTime::parse_from_rfc3339(at) {
                self.sent.insert(key.to_owned(), at.with_timezone(&Utc));
            }
        }
    }
}

impl FileMessenger {
    /// `dedupe_window`: drop a send whose key was sent less than this long ago (None: send
    /// every attempt).
    pub fn open(
        path: &Path,
        dedupe_window: Option<TimeDelta>,
        latency: Duration,
    ) -> std::io::Result<FileMessenger> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let dedupe = match dedupe_window {
            Some(window) => Some(Dedupe {
                window,
                state: Mutex::new(Seen {
                    reader: BufReader::new(File::open(path)?),
                    sent: HashMap::new(),
                }),
            }),
            None => None,
        };
        Ok(FileMessenger {
            file: Mutex::new(file),
            dedupe,
            latency,
        })
    }

    fn append(&self, prefix: &str, d: &Delivery, at: DateTime<Utc>) -> Result<(), DeliveryError> {
        let to = match &d.to {
            Address::Direct(i) => format!("@{}", i.handle),
            Address::Channel(c) => format!("#{c}"),
            Address::Group(people) => people
                .iter()
                .map(|i| format!("@{}", i.handle))
                .collect::<Vec<_>>()
                .join(","),
        };
        let text = d.reply.text.replace(['\n', '\t'], " ");
        let at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        // One write per line: appends from several processes do not interleave.
        let line = format!("{prefix}{}\t{at}\t{to}\t{text}\n", d.key);
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(line.as_bytes())
            .map_err(|e| DeliveryError::Transient(e.to_string()))
    }

    fn send(&self, d: &Delivery) -> Result<(), DeliveryError> {
        let now = Utc::now();
        let Some(dedupe) = &self.dedupe else {
            return self.append("", d, now);
        };
        // Held while checking and writing, so this process never sends one key twice at once.
        let mut seen = dedupe.state.lock().unwrap_or_else(|e| e.into_inner());
        seen.catch_up()
            .map_err(|e| DeliveryError::Transient(e.to_string()))?;
        let repeat = seen
            .sent
            .get(&d.key)
            .is_some_and(|first| now - *first < dedupe.window);
        if repeat {
            return self.append(DROPPED, d, now);
        }
        self.append("", d, now)?;
        seen.sent.insert(d.key.clone(), now);
        Ok(())
    }
}

#[async_trait]
impl Messenger for FileMessenger {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        self.send(d)?;
        tokio::time::sleep(self.latency).await;
        Ok(Some(d.key.clone()))
    }

    /// An edit replaces the message and a refresh reuses its key: never deduplicated.
    async fn update(&self, d: &Delivery, _message_ref: &str) -> Result<(), DeliveryError> {
        self.append(EDIT, d, Utc::now())?;
        tokio::time::sleep(self.latency).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::i18n::Locale;
    use bot_core::reply::Reply;

    fn delivery(key: &str) -> Delivery {
        Delivery {
            key: key.to_owned(),
            community_id: 1,
            to: Address::Channel("general".into()),
            reply: Reply::text(Locale::En, "hello\tthere\nfriend"),
            retry: false,
        }
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let cols: Vec<_> = l.split('\t').collect();
                format!("{} {} {}", cols[0], cols[2], cols[3])
            })
            .collect()
    }

    /// A repeat within the window is dropped (and logged as such), also by a process started
    /// later on the same file; past the window the key is sent again; without dedupe every
    /// attempt is a send.
    #[tokio::test]
    async fn the_dedupe_drops_only_repeats_within_its_window() {
        let dir = std::env::temp_dir().join(format!("file-messenger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let minute = Some(TimeDelta::minutes(1));

        let path = dir.join("window.log");
        let _ = std::fs::remove_file(&path);
        let first = FileMessenger::open(&path, minute, Duration::ZERO).unwrap();
        first.deliver(&delivery("a")).await.unwrap();
        first.deliver(&delivery("a")).await.unwrap();
        // A restarted process reads what the first one sent.
        let second = FileMessenger::open(&path, minute, Duration::ZERO).unwrap();
        second.deliver(&delivery("a")).await.unwrap();
        second.deliver(&delivery("b")).await.unwrap();
        second.update(&delivery("b"), "ref").await.unwrap();
        // Sent past a zero window: a platform that forgot the nonce posts again.
        let forgetful = FileMessenger::open(&path, Some(TimeDelta::zero()), Duration::ZERO);
        forgetful.unwrap().deliver(&delivery("b")).await.unwrap();
        assert_eq!(
            lines(&path),
            [
                "a #general hello there friend",
                "dropped:a #general hello there friend",
                "dropped:a #general hello there friend",
                "b #general hello there friend",
                "edit:b #general hello there friend",
                "b #general hello there friend",
            ]
        );

        let path = dir.join("plain.log");
        let _ = std::fs::remove_file(&path);
        let plain = FileMessenger::open(&path, None, Duration::ZERO).unwrap();
        plain.deliver(&delivery("a")).await.unwrap();
        plain.deliver(&delivery("a")).await.unwrap();
        assert_eq!(lines(&path).len(), 2);
        assert!(lines(&path).iter().all(|l| l.starts_with("a ")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
