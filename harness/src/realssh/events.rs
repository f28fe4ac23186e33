//! `hangar-ssh -E FILE`: the client's own observer log, one event a line,
//! `<milliseconds since start> <event>`. The events are `connected`,
//! `sent-eof`, `exit-status N`, `exit-signal NAME`, `eof`, `close`,
//! `keepalive-timeout` and `connection-lost <reason>`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

pub struct Events {
    file: Option<File>,
    start: Instant,
}

impl Events {
    /// A log to `path`, or none; the clock starts now.
    pub fn open(path: Option<&Path>) -> std::io::Result<Events> {
        Ok(Events {
            file: path.map(File::create).transpose()?,
            start: Instant::now(),
        })
    }

    /// Appends one event; a line is written whole, so a reader never sees
    /// half of one.
    pub fn note(&mut self, event: &str) {
        if let Some(file) = &mut self.file {
            let line = format!("{} {event}\n", self.start.elapsed().as_millis());
            let _ = file.write_all(line.as_bytes());
        }
    }
}
