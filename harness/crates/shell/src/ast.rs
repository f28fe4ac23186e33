//! The syntax tree of hangar's POSIX-sh subset.
//!
//! Follows the grammar of POSIX.1-2017 XCU 2.9 "Shell Commands" and 2.10
//! "Shell Grammar", restricted to what scenario files need. Every node that a
//! user could get wrong carries a [`Span`] into the source line, so that the
//! scenario loader can report `file:line:col`.

/// Byte offsets `[start, end)` into the parsed source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A whole command line: a sequence of and-or lists, each run in the
/// foreground (`;` or newline) or in the background (`&`). XCU 2.9.3.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub items: Vec<ListItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    pub and_or: AndOr,
    /// `true` when the list was terminated by `&` (an asynchronous list).
    pub background: bool,
}

/// `a && b || c`: XCU 2.9.3 "AND-OR Lists", left-associative.
#[derive(Clone, Debug, PartialEq)]
pub struct AndOr {
    pub first: Command,
    pub rest: Vec<(Connector, Command)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// One command of an and-or list.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Simple(SimpleCommand),
    /// `a | b | c`: each command's stdout is the next one's stdin, each
    /// in its own child; the status is the last one's. XCU 2.9.2. Two
    /// commands or more, none of them a pipeline; `!` is not in the subset.
    Pipeline {
        commands: Vec<Command>,
        span: Span,
    },
    /// `( list )`: runs in a subshell (a forked copy of the shell). XCU 2.9.4.
    Subshell {
        body: Script,
        redirects: Vec<Redirect>,
        span: Span,
    },
    /// `{ list; }`: runs in the current shell. XCU 2.9.4.
    Group {
        body: Script,
        redirects: Vec<Redirect>,
        span: Span,
    },
}

/// A command name with its arguments and redirections. XCU 2.9.1.
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleCommand {
    /// `words[0]` is the command name. Never empty.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub span: Span,
}

/// A word after quote removal, kept as parts so that `$$` and `$?` can be
/// expanded when the command runs (XCU 2.6.2 "Parameter Expansion").
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    /// As parsed: never empty (the empty word `''` is one empty `Literal`),
    /// and no two `Literal`s are adjacent (`a'b'"c"` is one `Literal("abc")`).
    pub parts: Vec<WordPart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WordPart {
    /// Literal text, quotes already removed.
    Literal(String),
    /// `$$`: the pid of the shell (in a subshell, still the parent's). XCU 2.5.2.
    ShellPid,
    /// `$?`: the exit status of the most recent foreground pipeline. XCU 2.5.2.
    LastStatus,
}

/// `[n]op target`. XCU 2.7.
#[derive(Clone, Debug, PartialEq)]
pub struct Redirect {
    /// The file descriptor redirected (defaults: 0 for `<`, 1 for `>`/`>>`).
    pub fd: u32,
    pub op: RedirectOp,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RedirectOp {
    /// `< word`: open for reading.
    Read(Word),
    /// `> word`: open for writing, truncating.
    Write(Word),
    /// `>> word`: open for appending.
    Append(Word),
    /// `n>&m` / `n<&m` / `>&m`: duplicate fd `m` onto `n`. XCU 2.7.5-2.7.6.
    Dup(u32),
    /// `n>&-` / `n<&-`: close fd `n`.
    Close,
}

impl Command {
    /// Where the command is in the source, redirections included.
    pub fn span(&self) -> Span {
        match self {
            Command::Simple(simple) => simple.span,
            Command::Pipeline { span, .. }
            | Command::Subshell { span, .. }
            | Command::Group { span, .. } => *span,
        }
    }
}
