//! Templates: the text of a target's commands and files, with
//! `{placeholders}` that each run fills in (its ports, keys, directory, the
//! scenario's keepalive options). `{{` and `}}` are literal braces, so
//! shell text such as `${HOME}` is written `${{HOME}}`.
//!
//! In a command a value is shell-quoted when it has to be, so a path with
//! a space stays one word; in a file it goes in as it is.

use std::borrow::Cow;
use std::fmt;

/// A value a run puts into a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placeholder {
    Port,
    HostKey,
    HostKeyPub,
    UserKey,
    UserKeyPub,
    AuthorizedKeys,
    ConfigDir,
    Home,
    User,
    RunId,
    Marker,
    SessionPath,
    Policy,
    HangarSshd,
    HangarSsh,
    ClientAliveInterval,
    ClientAliveCountMax,
    DropbearKeepalive,
    ChannelTimeout,
    UnusedConnectionTimeout,
    DropbearIdleTimeout,
    ServerAliveInterval,
    ServerAliveCountMax,
    ConnectTimeout,
}

/// Every placeholder with its name and what it stands for (the README's
/// table says the same).
pub const PLACEHOLDERS: [(Placeholder, &str, &str); 24] = [
    (
        Placeholder::Port,
        "port",
        "the port the server listens on (in `client` and `scp`: the port to connect to, the fault proxy's)",
    ),
    (
        Placeholder::HostKey,
        "host_key",
        "the server's fresh ed25519 host key, OpenSSH format",
    ),
    (Placeholder::HostKeyPub, "host_key_pub", "its public half"),
    (
        Placeholder::UserKey,
        "user_key",
        "the client's fresh ed25519 key, OpenSSH format",
    ),
    (Placeholder::UserKeyPub, "user_key_pub", "its public half"),
    (
        Placeholder::AuthorizedKeys,
        "authorized_keys",
        "an authorized_keys file with the client's key: `{home}/.ssh/authorized_keys`",
    ),
    (
        Placeholder::ConfigDir,
        "config_dir",
        "the run's private temporary directory (removed after the run)",
    ),
    (
        Placeholder::Home,
        "home",
        "the run's home directory, `{config_dir}/home`",
    ),
    (Placeholder::User, "user", "the user the client logs in as"),
    (Placeholder::RunId, "run_id", "the run's id"),
    (
        Placeholder::Marker,
        "marker",
        "`HANGAR_RUN=<run id>`: the server must put it in its sessions' environment",
    ),
    (
        Placeholder::SessionPath,
        "session_path",
        "a PATH for the sessions whose first directory has the run's own `pkill`, which reaches only the run's processes",
    ),
    (
        Placeholder::Policy,
        "policy",
        "the teardown policy of a `hangar:<policy>` target: `wait-eof`, `close-on-exit`, `drain=2s`",
    ),
    (
        Placeholder::HangarSshd,
        "hangar_sshd",
        "the path of hangar's own server, `hangar-sshd`",
    ),
    (
        Placeholder::HangarSsh,
        "hangar_ssh",
        "the path of hangar's own client, `hangar-ssh`",
    ),
    (
        Placeholder::ClientAliveInterval,
        "client_alive_interval",
        "the scenario's `[server] ClientAliveInterval` in seconds, 0 (off) when it sets none",
    ),
    (
        Placeholder::ClientAliveCountMax,
        "client_alive_count_max",
        "the scenario's `[server] ClientAliveCountMax` (default 3)",
    ),
    (
        Placeholder::DropbearKeepalive,
        "dropbear_keepalive",
        "the scenario's `[server] DropbearKeepalive` in seconds, 0 (off) when it sets none",
    ),
    (
        Placeholder::ChannelTimeout,
        "channel_timeout",
        "the scenario's `[server] ChannelTimeout` as sshd_config(5) writes it (`session:command=3`), `none` when it sets none",
    ),
    (
        Placeholder::UnusedConnectionTimeout,
        "unused_connection_timeout",
        "the scenario's `[server] UnusedConnectionTimeout` in seconds, `none` when it sets none",
    ),
    (
        Placeholder::DropbearIdleTimeout,
        "dropbear_idle_timeout",
        "the scenario's `[server] DropbearIdleTimeout` in seconds, 0 (off) when it sets none",
    ),
    (
        Placeholder::ServerAliveInterval,
        "server_alive_interval",
        "the scenario's `[client] ServerAliveInterval` in seconds, 0 (off) when it sets none",
    ),
    (
        Placeholder::ServerAliveCountMax,
        "server_alive_count_max",
        "the scenario's `[client] ServerAliveCountMax` (default 3)",
    ),
    (
        Placeholder::ConnectTimeout,
        "connect_timeout",
        "the scenario's `[client] ConnectTimeout` in seconds, 0 (the TCP default) when it sets none",
    ),
];

impl Placeholder {
    pub fn name(self) -> &'static str {
        PLACEHOLDERS
            .iter()
            .find(|(p, _, _)| *p == self)
            .map_or("?", |(_, name, _)| name)
    }

    fn named(name: &str) -> Option<Placeholder> {
        PLACEHOLDERS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(p, _, _)| *p)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(String),
    Value(Placeholder),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Text that is not a template: where in it (a byte offset) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().is_some_and(|(_, c)| *c == '{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().is_some_and(|(_, c)| *c == '}') => {
                    rest.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError {
                        offset: i,
                        message: "a `}` that closes no placeholder; write `}}` for a literal brace"
                            .into(),
                    });
                }
                '{' => {
                    let Some(len) = text[i + 1..].find('}') else {
                        return Err(TemplateError {
                            offset: i,
                            message: "a `{` that opens a placeholder never closed; write `{{` for a literal brace"
                                .into(),
                        });
                    };
                    let name = &text[i + 1..i + 1 + len];
                    let shell = text[..i].ends_with('$');
                    let placeholder = Placeholder::named(name).ok_or_else(|| TemplateError {
                        offset: i,
                        message: if shell {
                            format!("`${{{name}}}` is shell text, not a placeholder: write `${{{{{name}}}}}`")
                        } else {
                            unknown_placeholder(name)
                        },
                    })?;
                    while rest.peek().is_some_and(|(j, _)| *j <= i + 1 + len) {
                        rest.next();
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Value(placeholder));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// Whether the template has `placeholder`.
    pub fn uses(&self, placeholder: Placeholder) -> bool {
        self.pieces.contains(&Piece::Value(placeholder))
    }

    /// The text with every placeholder filled in by `value`; shell-quoted
    /// when `shell` (a command), as is otherwise (a file).
    pub fn expand<E>(
        &self,
        shell: bool,
        mut value: impl FnMut(Placeholder) -> Result<String, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value(p) => {
                    let v = value(*p)?;
                    if shell {
                        out.push_str(&shell_quote(&v));
                    } else {
                        out.push_str(&v);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn unknown_placeholder(name: &str) -> String {
    let names: Vec<&str> = PLACEHOLDERS.iter().map(|(_, n, _)| *n).collect();
    let listed = names
        .iter()
        .map(|n| format!("`{{{n}}}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let near = names
        .iter()
        .map(|n| (edit_distance(name, n), *n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min();
    match near {
        Some((_, n)) => format!(
            "unknown placeholder `{{{name}}}` (did you mean `{{{n}}}`?); the placeholders are {listed}"
        ),
        None => format!("unknown placeholder `{{{name}}}`; the placeholders are {listed}"),
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `text` as one shell word: unchanged when it is only safe characters,
/// else in single quotes.
pub fn shell_quote(text: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("'{}'", text.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(p: Placeholder) -> Result<String, ()> {
        Ok(match p {
            Placeholder::Port => "2222".into(),
            Placeholder::ConfigDir => "/tmp/a dir".into(),
            _ => p.name().to_uppercase(),
        })
    }

    #[test]
    fn fills_placeholders_and_quotes_for_the_shell() {
        let t = Template::parse("sshd -p {port} -f {config_dir}/x ${{HOME}} {{}}").unwrap();
        assert_eq!(
            t.expand(true, fill).unwrap(),
            "sshd -p 2222 -f '/tmp/a dir'/x ${HOME} {}"
        );
        assert_eq!(
            t.expand(false, fill).unwrap(),
            "sshd -p 2222 -f /tmp/a dir/x ${HOME} {}"
        );
        assert!(t.uses(Placeholder::Port));
        assert!(!t.uses(Placeholder::Marker));
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_a_near_miss() {
        let err = Template::parse("sshd -p {prot}").unwrap_err();
        assert_eq!(err.offset, 8);
        assert!(
            err.message
                .starts_with("unknown placeholder `{prot}` (did you mean `{port}`?); the placeholders are `{port}`, "),
            "{}",
            err.message
        );
        let err = Template::parse("x {nothing_like_it}").unwrap_err();
        assert!(
            err.message
                .starts_with("unknown placeholder `{nothing_like_it}`; ")
        );
    }

    #[test]
    fn lone_braces_are_errors() {
        assert_eq!(Template::parse("a { b").unwrap_err().offset, 2);
        assert_eq!(Template::parse("a } b").unwrap_err().offset, 2);
        assert!(Template::parse("a {{ }} b").is_ok());
        assert_eq!(
            Template::parse("cd ${HOME}").unwrap_err().message,
            "`${HOME}` is shell text, not a placeholder: write `${{HOME}}`"
        );
    }

    #[test]
    fn shell_quote_leaves_plain_words_alone() {
        assert_eq!(shell_quote("HANGAR_RUN=12-0"), "HANGAR_RUN=12-0");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
