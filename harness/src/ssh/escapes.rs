//! The escape sequences of OpenSSH's ssh(1) (clientloop.c,
//! process_escapes), on the bytes typed into a session that has a pty:
//!
//! - the escape character counts only right after a newline (CR or LF) or
//!   as the very first input;
//! - `~.` disconnects, `~^Z` suspends ssh, `~&` puts it in the background,
//!   `~#` lists the connections, `~?` prints the help;
//! - `~~` sends one `~`, so `~~.` reaches the ssh of the next hop;
//! - `~` followed by anything else sends both characters.

/// What the typed bytes ask ssh to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Escape {
    /// Bytes for the session.
    Send(Vec<u8>),
    Disconnect,
    Suspend,
    Background,
    List,
    Help,
}

/// The state of escape recognition across reads.
pub struct Escapes {
    escape: u8,
    after_newline: bool,
    saw_escape: bool,
}

/// ssh(1)'s help for `~?` (OpenSSH 9).
pub const HELP: &str = "Supported escape sequences:\r
 ~.   - terminate connection (and any multiplexed sessions)\r
 ~B   - send a BREAK to the remote system\r
 ~C   - open a command line\r
 ~R   - request rekey\r
 ~V/v - decrease/increase verbosity (LogLevel)\r
 ~^Z  - suspend ssh\r
 ~#   - list forwarded connections\r
 ~&   - background ssh (when waiting for connections to terminate)\r
 ~?   - this message\r
 ~~   - send the escape character by typing it twice\r
(Note that escapes are only recognized immediately after newline.)\r
";

impl Escapes {
    pub fn new(escape: u8) -> Escapes {
        Escapes {
            escape,
            after_newline: true,
            saw_escape: false,
        }
    }

    pub fn escape_char(&self) -> u8 {
        self.escape
    }

    pub fn feed(&mut self, input: &[u8]) -> Vec<Escape> {
        let mut out: Vec<Escape> = Vec::new();
        let send = |out: &mut Vec<Escape>, bytes: &[u8]| match out.last_mut() {
            Some(Escape::Send(pending)) => pending.extend_from_slice(bytes),
            _ => out.push(Escape::Send(bytes.to_vec())),
        };
        for &ch in input {
            if self.saw_escape {
                self.saw_escape = false;
                let command = match ch {
                    b'.' => Some(Escape::Disconnect),
                    0x1a => Some(Escape::Suspend),
                    b'&' => Some(Escape::Background),
                    b'#' => Some(Escape::List),
                    b'?' => Some(Escape::Help),
                    _ => None,
                };
                if let Some(command) = command {
                    out.push(command);
                    continue;
                }
                if ch != self.escape {
                    send(&mut out, &[self.escape]);
                }
            } else if self.after_newline && ch == self.escape {
                self.saw_escape = true;
                continue;
            }
            send(&mut out, &[ch]);
            self.after_newline = ch == b'\r' || ch == b'\n';
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(input: &[u8]) -> Vec<Escape> {
        Escapes::new(b'~').feed(input)
    }

    fn send(bytes: &[u8]) -> Escape {
        Escape::Send(bytes.to_vec())
    }

    #[test]
    fn tilde_dot_first_or_after_a_newline_disconnects() {
        assert_eq!(feed(b"~."), vec![Escape::Disconnect]);
        assert_eq!(feed(b"ls\r~."), vec![send(b"ls\r"), Escape::Disconnect]);
    }

    #[test]
    fn tilde_in_the_middle_of_a_line_is_plain_text() {
        assert_eq!(feed(b"abc~."), vec![send(b"abc~.")]);
    }

    #[test]
    fn a_doubled_tilde_sends_one_so_the_next_hop_sees_the_escape() {
        let mut first_hop = Escapes::new(b'~');
        let forwarded = first_hop.feed(b"\r~~.");
        assert_eq!(forwarded, vec![send(b"\r~.")]);
        let mut second_hop = Escapes::new(b'~');
        assert_eq!(
            second_hop.feed(b"\r~."),
            vec![send(b"\r"), Escape::Disconnect]
        );
    }

    #[test]
    fn other_characters_after_the_escape_pass_through_with_it() {
        assert_eq!(feed(b"~x"), vec![send(b"~x")]);
    }

    #[test]
    fn the_escape_survives_a_split_between_reads() {
        let mut escapes = Escapes::new(b'~');
        assert_eq!(escapes.feed(b"\r~"), vec![send(b"\r")]);
        assert_eq!(escapes.feed(b"."), vec![Escape::Disconnect]);
    }

    #[test]
    fn commands_suspend_background_list_and_help() {
        assert_eq!(feed(b"~\x1a"), vec![Escape::Suspend]);
        assert_eq!(feed(b"~&"), vec![Escape::Background]);
        assert_eq!(feed(b"~#"), vec![Escape::List]);
        assert_eq!(feed(b"~?"), vec![Escape::Help]);
    }

    #[test]
    fn another_escape_character_works_the_same_way() {
        let mut escapes = Escapes::new(b'%');
        assert_eq!(escapes.feed(b"~.%."), vec![send(b"~.%.")]);
        let mut escapes = Escapes::new(b'%');
        assert_eq!(escapes.feed(b"%."), vec![Escape::Disconnect]);
    }
}
