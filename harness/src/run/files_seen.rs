//! What a run left on the hosts' disks, for `[expect] files`: each lane
//! looks at the files the scenario names when the run ends.

use hangar_scenario::{FileState, Host};

/// One file as the run left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSeen {
    Absent,
    /// A regular file of this many bytes.
    Regular(u64),
    Directory,
    /// The lane cannot look there (a real server without the run's own
    /// home): not checked.
    Unmeasured,
}

impl FileSeen {
    /// Whether this is what `state` asks for; an unmeasured file is.
    pub fn satisfies(self, state: FileState) -> bool {
        match (state, self) {
            (_, FileSeen::Unmeasured) => true,
            (FileState::Exists, FileSeen::Regular(_) | FileSeen::Directory) => true,
            (FileState::Absent, FileSeen::Absent) => true,
            (FileState::Directory, FileSeen::Directory) => true,
            (FileState::Size(want), FileSeen::Regular(got)) => want == got,
            _ => false,
        }
    }

    /// For reports: "absent", "a file of 12 bytes", "a directory".
    pub fn describe(self) -> String {
        match self {
            FileSeen::Absent => "absent".to_owned(),
            FileSeen::Regular(bytes) => format!("a file of {bytes} bytes"),
            FileSeen::Directory => "a directory".to_owned(),
            FileSeen::Unmeasured => "not measured".to_owned(),
        }
    }
}

/// A file the scenario names, as `host:path`, and what the run left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAtEnd {
    pub host: Host,
    pub path: String,
    pub seen: FileSeen,
}

/// `server:done`, as the scenario file names it.
pub fn host_path(host: Host, path: &str) -> String {
    let host = match host {
        Host::Client => "client",
        Host::Server => "server",
    };
    format!("{host}:{path}")
}

/// The outcome's line on files, when the scenario names any:
/// "files: client:copy a file of 1048576 bytes, server:done absent".
pub fn files_line(files: &[FileAtEnd]) -> Option<String> {
    let seen: Vec<String> = files
        .iter()
        .map(|f| format!("{} {}", host_path(f.host, &f.path), f.seen.describe()))
        .collect();
    (!seen.is_empty()).then(|| format!("files: {}", seen.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_takes_what_it_names() {
        use FileSeen::*;
        for (state, seen, holds) in [
            (FileState::Exists, Regular(0), true),
            (FileState::Exists, Directory, true),
            (FileState::Exists, Absent, false),
            (FileState::Absent, Absent, true),
            (FileState::Absent, Regular(3), false),
            (FileState::Directory, Regular(3), false),
            (FileState::Size(3), Regular(3), true),
            (FileState::Size(3), Regular(4), false),
            (FileState::Size(0), Directory, false),
            (FileState::Absent, Unmeasured, true),
        ] {
            assert_eq!(seen.satisfies(state), holds, "{state:?} {seen:?}");
        }
    }
}
