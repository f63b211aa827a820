//! A `Messenger` that appends each delivery to a file: one line `KEY<TAB>TARGET<TAB>TEXT`.
//! For batch runs, crash tests and benchmarks, where no platform is reachable. With
//! `dedupe`, a key already in the file is not written again, as Discord's nonce or Slack's
//! message metadata would drop a repeated send.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use bot_core::messenger::{Address, Delivery, DeliveryError, Messenger};

pub struct FileMessenger {
    file: Mutex<File>,
    seen: Option<Mutex<HashSet<String>>>,
}

impl FileMessenger {
    pub fn open(path: &Path, dedupe: bool) -> std::io::Result<FileMessenger> {
        let seen = if dedupe && path.exists() {
            let keys = BufReader::new(File::open(path)?)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.split('\t').next().map(str::to_owned))
                .collect();
            Some(Mutex::new(keys))
        } else {
            dedupe.then(|| Mutex::new(HashSet::new()))
        };
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(FileMessenger {
            file: Mutex::new(file),
            seen,
        })
    }

    fn write(&self, kind: &str, d: &Delivery) -> Result<(), DeliveryError> {
        // Edits replace the message and a refresh reuses its key: only sends are deduplicated.
        if let Some(seen) = &self.seen
            && kind.is_empty()
            && !seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(d.key.clone())
        {
            return Ok(());
        }
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
        // One write per line: appends from several processes do not interleave.
        let line = format!("{kind}{}\t{to}\t{text}\n", d.key);
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(line.as_bytes())
            .map_err(|e| DeliveryError::Transient(e.to_string()))
    }
}

#[async_trait]
impl Messenger for FileMessenger {
    async fn deliver(&self, d: &Delivery) -> Result<Option<String>, DeliveryError> {
        self.write("", d)?;
        Ok(Some(d.key.clone()))
    }

    async fn update(&self, d: &Delivery, _message_ref: &str) -> Result<(), DeliveryError> {
        self.write("edit:", d)
    }
}
