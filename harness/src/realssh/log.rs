//! hangar-sshd's log on stderr: one line per event, prefixed with the
//! connection it belongs to.

use std::sync::Arc;

#[derive(Clone)]
pub struct Log {
    prefix: Arc<str>,
}

impl Log {
    pub fn new(prefix: impl Into<String>) -> Log {
        Log {
            prefix: prefix.into().into(),
        }
    }

    /// A log for a part of this one: `connection 3 channel 0`.
    pub fn with(&self, part: &str) -> Log {
        Log::new(format!("{} {part}", self.prefix))
    }

    pub fn say(&self, message: impl AsRef<str>) {
        eprintln!("{}: {}", self.prefix, message.as_ref());
    }
}
