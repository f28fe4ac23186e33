//! What a scenario file means once it is loaded and validated.
//!
//! The loader (`load.rs`) turns TOML into these types; backends read only
//! these types, never TOML.

use std::time::Duration;

use hangar_shell::ast::Script;

pub use crate::channel_timeout::ChannelTimeout;
use crate::target::Target;

/// One scenario file: a world, a timeline and what must come out.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Path the scenario was loaded from, as given (used in reports).
    pub path: String,
    pub title: String,
    /// The seed document or issue this scenario reproduces.
    pub source: String,
    pub tags: Vec<String>,
    /// Targets this scenario runs against when the user names none.
    /// Default: every built-in sim target (`Target::all_sim()`).
    pub targets: Vec<Target>,
    pub world: World,
    /// Steps in file order; the start of `at` is non-decreasing (the
    /// loader checks). Runners order them by their drawn times.
    pub steps: Vec<Step>,
    /// Expectations that hold for every target unless overridden.
    pub expect: Expect,
    /// Expectations over many seeds (`[seeds]`), for races.
    pub seeds: Option<SeedExpect>,
    /// Per-target overrides: `[expect.openssh]`, `[expect.dropbear]`,
    /// `[expect."hangar:close-on-exit"]`. A field set here replaces the base.
    pub expect_by_target: Vec<(Target, Expect)>,
    /// Per-lane overrides, `[expect.sim]` and `[expect.real]`, for what
    /// cannot agree by nature (a real peer's session setup takes tenths
    /// of a second). Applied before the target's own table.
    pub expect_by_lane: Vec<(LaneKind, Expect)>,
}

/// The lane a run took: the simulated world or real peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    Sim,
    Real,
}

impl LaneKind {
    /// As `[expect.<lane>]` names it.
    pub fn name(self) -> &'static str {
        match self {
            LaneKind::Sim => "sim",
            LaneKind::Real => "real",
        }
    }

    /// The lane `[expect.<name>]` names, if `name` is one.
    pub fn from_name(name: &str) -> Option<LaneKind> {
        [LaneKind::Sim, LaneKind::Real]
            .into_iter()
            .find(|lane| lane.name() == name)
    }
}

impl Scenario {
    /// Whether a step types into or waits on the client's terminal, so
    /// the run needs one.
    pub fn uses_terminal(&self) -> bool {
        self.steps.iter().any(|step| {
            matches!(
                step.action,
                Action::Type { .. } | Action::WaitFor(_) | Action::Resize { .. }
            )
        })
    }
}

/// Settings of the simulated world. Every field has a default that matches
/// a stock Debian machine.
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    /// Virtual time after which the run stops and unmet expectations give
    /// verdict `unknown`. Default 120 s.
    pub horizon: Duration,
    pub client: ClientOptions,
    pub server: ServerOptions,
    pub net: NetOptions,
    /// How long the run goes on after the last command line ended while
    /// server processes are alive (to see late writers); what is alive
    /// then is a survivor. Default 2 s.
    pub linger: Duration,
    /// The simulated clock's step: every host advances by one tick at a
    /// time and segments are delivered on tick boundaries, so latencies
    /// round up to it. Default 5 ms; smaller is finer and slower.
    pub tick: Duration,
    /// Capacity of every pipe, in bytes; at least 1. Default 64 KiB, Linux's
    /// pipe capacity (pipe(7)).
    pub pipe_buffer: Drawn<u64>,
    /// The SSH channel window the server and the client advertise, in
    /// bytes. Default 2 MiB, OpenSSH's CHAN_SES_WINDOW_DEFAULT.
    pub window: Drawn<u64>,
    /// Pause a simulated utility takes between two writes. Default 0 s.
    pub write_pacing: Drawn<Duration>,
    /// Virtual files on the server host: `cat big` reads `size` bytes.
    pub files: Vec<VirtualFile>,
}

/// A setting each seed draws anew: an inclusive range `min..=max`, written
/// `"1ms..50ms"` in a file, or one value (`min == max`), written `"30s"`.
///
/// Drawing a different value per seed varies the world the way a swarm
/// test does, so that one scenario explores many timings. The loader
/// guarantees `min <= max`; drawing is up to the runner, from the seed.
/// `Display` writes the file syntax back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Drawn<T> {
    pub min: T,
    pub max: T,
}

impl<T: Copy + PartialEq> Drawn<T> {
    /// One value, the same for every seed.
    pub fn fixed(value: T) -> Drawn<T> {
        Drawn {
            min: value,
            max: value,
        }
    }

    /// Whether every seed gets the same value.
    pub fn is_fixed(&self) -> bool {
        self.min == self.max
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClientOptions {
    /// ssh_config(5) ServerAliveInterval; `None` = 0 = off.
    pub server_alive_interval: Option<Duration>,
    /// ssh_config(5) ServerAliveCountMax; default 3.
    pub server_alive_count_max: u32,
    /// ssh_config(5) ConnectTimeout; `None` = the TCP default.
    pub connect_timeout: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ServerOptions {
    /// sshd_config(5) ClientAliveInterval; `None` = 0 = off.
    pub client_alive_interval: Option<Duration>,
    /// sshd_config(5) ClientAliveCountMax; default 3.
    pub client_alive_count_max: u32,
    /// dropbear(8) `-K secs`; `None` = off.
    pub dropbear_keepalive: Option<Duration>,
    /// logind.conf(5) KillUserProcesses: every process of the user is
    /// killed when the user's last session ends. Default false.
    pub kill_user_processes: bool,
    /// sshd_config(5) ChannelTimeout (OpenSSH 9.2+): channels of a matching
    /// type are closed after that long without traffic. Default none.
    pub channel_timeouts: Vec<ChannelTimeout>,
    /// sshd_config(5) UnusedConnectionTimeout (OpenSSH 9.2+): a connection
    /// with no open channel is closed after this long. `None` = never.
    pub unused_connection_timeout: Option<Duration>,
    /// dropbear(8) `-I secs`: the connection is closed after this long
    /// without a packet either way. `None` = off.
    pub dropbear_idle_timeout: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetOptions {
    /// One-way latency of every segment. Default 1 ms.
    pub latency: Drawn<Duration>,
    /// How long unacknowledged data is retransmitted before the writer's
    /// connection fails with ETIMEDOUT. Default 924.6 s: Linux tcp_retries2=15
    /// with a 200 ms minimum RTO (tcp(7)).
    pub retransmission_timeout: Duration,
    /// Bytes per second each direction carries; `None` = unlimited.
    pub bandwidth: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VirtualFile {
    /// Name as the shell sees it (`big`, `/var/log/big`).
    pub name: String,
    pub size: u64,
}

/// One step of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Virtual time at which the step happens. For a range, each seed
    /// draws a time, and the steps happen in the order of their drawn times
    /// (equal times in file order). A step that gives no `at` gets the
    /// previous step's (the first one `0s`): it happens right after the
    /// previous step. Steps run in order, and a `wait_for` step holds back
    /// every step after it until its condition holds.
    pub at: Drawn<Duration>,
    pub action: Action,
    /// 1-based line of the step in the scenario file (for reports).
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `run = "..."`: a command line run by `sh -c` on the client host.
    Run { line: String, script: Script },
    /// `net = "..."`: a network fault or repair.
    Net(NetFault),
    /// `type = "..."`: keystrokes typed into the client's terminal, one per
    /// tick. `text` is as written in the file (key notation); `keys` are
    /// the bytes a keyboard sends (Enter is `\r`, `^C` is 3).
    Type { text: String, keys: Vec<u8> },
    /// `wait_for = { screen = "regex", timeout = "5s" }` or
    /// `{ trace = "regex", timeout = "5s" }`: later steps wait until the
    /// condition holds; if the timeout runs out first the verdict is
    /// `unknown`.
    WaitFor(WaitFor),
    /// `resize = "120x40"`: the client terminal's new size (columns x
    /// rows); the foreground job gets SIGWINCH.
    Resize { cols: u16, rows: u16 },
}

/// What a `wait_for` step waits for, and for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitFor {
    pub condition: WaitCondition,
    /// Above zero.
    pub timeout: Duration,
}

/// A regex (checked to compile on load) and what it must match.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitCondition {
    /// Must match the client terminal's screen text, in multi-line mode
    /// (`^` and `$` match at line ends).
    Screen(String),
    /// Must match one line of the trace as rendered without its time
    /// column: `server sshd[3] -> CLOSE`.
    Trace(String),
    /// A process running `program` starts on `host`: a fork or an exec
    /// that the lane observes (the same event in both lanes, where a trace
    /// pattern may match a different process in each).
    Started { host: Host, program: String },
    /// A process running `program` on `host` ends: it exits or a signal
    /// kills it.
    Ended { host: Host, program: String },
}

impl WaitCondition {
    /// For reports: "the screen to match /server\$ $/".
    pub fn describe(&self) -> String {
        match self {
            WaitCondition::Screen(regex) => format!("the screen to match /{regex}/"),
            WaitCondition::Trace(regex) => format!("a trace line to match /{regex}/"),
            WaitCondition::Started { host, program } => {
                format!("`{program}` to start on the {host}")
            }
            WaitCondition::Ended { host, program } => {
                format!("`{program}` to end on the {host}")
            }
        }
    }

    /// The key that states it in a `wait_for` table and its value as
    /// written there.
    pub fn key_and_value(&self) -> (&'static str, &str) {
        match self {
            WaitCondition::Screen(r) => ("screen", r),
            WaitCondition::Trace(r) => ("trace", r),
            WaitCondition::Started { program, .. } => ("started", program),
            WaitCondition::Ended { program, .. } => ("ended", program),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NetFault {
    /// Both directions stop delivering; segments are retransmitted on heal.
    Partition,
    /// Only `from` -> `to` stops delivering.
    PartitionOneWay {
        from: Host,
        to: Host,
    },
    /// Ends every partition.
    Heal,
    /// Segments are queued (no retransmission budget) until `release`.
    Hold,
    Release,
    /// Extra one-way latency from now on.
    Latency(Duration),
    /// The host loses power: its processes and TCP state vanish, nothing is sent.
    Crash(Host),
    /// The host boots again with no TCP state: it answers RST to old connections.
    Restart(Host),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    Client,
    Server,
}

/// What must come out. Every field is optional: `None` means "not checked".
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Expect {
    pub client: Option<ClientExpect>,
    /// Bytes the remote side wrote to its stdout/stderr that never reached
    /// the client.
    pub lost_bytes: Option<u64>,
    /// Bytes the client wrote to its own stdout.
    pub stdout_bytes: Option<u64>,
    /// Bytes the client wrote to its own stderr: the remote command's
    /// stderr and ssh's own messages.
    pub stderr_bytes: Option<u64>,
    /// Names of server processes still alive when the run ends, sorted.
    pub survivors: Option<Vec<String>>,
    /// Regexes that must each match the client terminal's final screen
    /// text, in multi-line mode (checked to compile on load).
    pub screen: Option<Vec<String>>,
    /// Regexes that must each match what the client wrote to its stdout
    /// (the first [`CAPTURED_OUTPUT`] bytes), in multi-line mode.
    pub stdout: Option<Vec<String>>,
    /// The same for the client's stderr.
    pub stderr: Option<Vec<String>>,
    /// Teardown events of the client's ssh ([`crate::TEARDOWN_EVENTS`])
    /// that must happen in this order; others may come between them.
    pub order: Option<Vec<String>>,
    /// Orders of which one must hold, where a peer's order is a race.
    pub order_any: Option<Vec<Vec<String>>>,
    /// Sets of survivors (each sorted) of which one must be the run's.
    pub survivors_any: Option<Vec<Vec<String>>>,
    /// What must be on the hosts' disks at the end, sorted by host and path.
    pub files: Option<Vec<FileExpect>>,
}

/// `"server:done" = "exists"`: one file the run must leave so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileExpect {
    pub host: Host,
    /// Relative to the home the host's sessions start in.
    pub path: String,
    pub state: FileState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// A file or a directory is there.
    Exists,
    Absent,
    Directory,
    /// A regular file of this many bytes.
    Size(u64),
}

impl FileState {
    /// As the scenario file writes it.
    pub fn describe(self) -> String {
        match self {
            FileState::Exists => "exists".to_owned(),
            FileState::Absent => "absent".to_owned(),
            FileState::Directory => "directory".to_owned(),
            FileState::Size(bytes) => format!("{{ size = {bytes} }}"),
        }
    }
}

impl Scenario {
    /// Every file an expectation names, whatever the target or lane: what
    /// a runner looks at when the run ends.
    pub fn expected_files(&self) -> Vec<(Host, String)> {
        let mut files: Vec<(Host, String)> = std::iter::once(&self.expect)
            .chain(self.expect_by_target.iter().map(|(_, e)| e))
            .chain(self.expect_by_lane.iter().map(|(_, e)| e))
            .flat_map(|e| e.files.iter().flatten())
            .map(|f| (f.host, f.path.clone()))
            .collect();
        files.sort();
        files.dedup();
        files
    }
}

/// How much of the client's stdout and of its stderr `[expect] stdout`
/// and `stderr` see: the start of each, as a user reading a terminal
/// would; a transfer of megabytes is checked by its byte count.
pub const CAPTURED_OUTPUT: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClientExpect {
    /// `exit = 7`; `exit = "none"` (the client must still be running at the
    /// horizon) is `Some(ExitExpect::Never)`.
    pub exit: Option<ExitExpect>,
    /// `exit_any = [0, 255]`: exit codes of which the client's must be one,
    /// where a peer races.
    pub exit_any: Option<Vec<i32>>,
    /// Earliest virtual time the client may exit.
    pub after: Option<Duration>,
    /// Latest virtual time the client may exit.
    pub within: Option<Duration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitExpect {
    Code(i32),
    Never,
}

/// What must hold over the seeds `0..count` (`[seeds]`): a race shows on
/// some seeds and never on others, which one seed cannot say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedExpect {
    pub count: u64,
    /// Per target: on how many of the seeds bytes are lost.
    pub lost_bytes: Vec<(Target, Quantifier)>,
}

/// On how many seeds something happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    None,
    Some,
    All,
}

impl Quantifier {
    pub fn name(self) -> &'static str {
        match self {
            Quantifier::None => "none",
            Quantifier::Some => "some",
            Quantifier::All => "all",
        }
    }

    /// Whether `hits` of `total` seeds satisfy it (`some`: at least one,
    /// and not all).
    pub fn holds(self, hits: u64, total: u64) -> bool {
        match self {
            Quantifier::None => hits == 0,
            Quantifier::Some => hits > 0 && hits < total,
            Quantifier::All => hits == total,
        }
    }
}
