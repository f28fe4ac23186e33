//! The real lane's targets as data: a server command, a client command and
//! what they need, written as templates ([`template`]) in a TOML file
//! ([`file`]). The built-ins (`openssh`, `dropbear`, `hangar:<policy>`)
//! are such a file compiled in (`builtin.toml`); a maintainer points hangar
//! at their own build with a file of their own (`--targets FILE`), each
//! target `like` a built-in whose expectations its runs are checked
//! against.

pub mod file;
pub mod template;

use std::path::Path;
use std::sync::OnceLock;

use hangar_scenario::{
    Action, ClientOptions, LoadError, Scenario, ServerOptions, TARGET_FORMS, Target,
};
use hangar_shell::ast::{Command, Script, WordPart};

use crate::run::UserTarget;
use template::{Placeholder, Template};

/// Where a target's server runs its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivateHome {
    /// In a private mount namespace where the run's home is bind-mounted
    /// over /root (in a user namespace that maps the user to root when
    /// hangar is not root): the client logs in as root, sessions start in
    /// the run's home, and `[world] files` are there.
    Always,
    /// As `Always` when hangar runs as root; otherwise the server runs as
    /// it is and the client logs in as the user.
    AsRoot,
    /// Never: the server runs as it is.
    Never,
}

/// A client and server build the real lane runs scenarios against.
#[derive(Clone, Debug, PartialEq)]
pub struct RealTarget {
    /// As typed after `--target`.
    pub name: String,
    /// The built-in target whose expectations the runs are checked against.
    pub like: Target,
    /// The targets file it comes from; `None` for a built-in.
    pub file: Option<String>,
    pub private_home: PrivateHome,
    /// Program → Debian package, for the message when one is missing.
    pub packages: Vec<(String, String)>,
    /// Commands run before the server starts, in `{config_dir}`.
    pub setup: Vec<Template>,
    /// Files written into `{config_dir}` before the setup commands.
    pub files: Vec<(String, Template)>,
    /// Starts the server in the foreground.
    pub server: Template,
    /// The `ssh` of the scenario's command lines: a command the
    /// scenario's arguments are appended to.
    pub client: Template,
    /// The `scp` of the command lines, when the target has one.
    pub scp: Option<Template>,
    /// Arguments added to `client` and `scp` only when the scenario sets
    /// the setting: a scenario's own `ssh -o ServerAliveInterval=1` must
    /// win, and OpenSSH keeps the first value it is given.
    pub client_options: Vec<(ClientSetting, Template)>,
}

/// A scenario's `[client]` setting a target passes through `client_options`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientSetting {
    /// With `ServerAliveCountMax`.
    ServerAliveInterval,
    ConnectTimeout,
}

impl ClientSetting {
    pub const ALL: [ClientSetting; 2] = [
        ClientSetting::ServerAliveInterval,
        ClientSetting::ConnectTimeout,
    ];

    /// As in scenario files and under `client_options`.
    pub fn name(self) -> &'static str {
        match self {
            ClientSetting::ServerAliveInterval => "ServerAliveInterval",
            ClientSetting::ConnectTimeout => "ConnectTimeout",
        }
    }

    pub fn is_set(self, client: &ClientOptions) -> bool {
        match self {
            ClientSetting::ServerAliveInterval => client.server_alive_interval.is_some(),
            ClientSetting::ConnectTimeout => client.connect_timeout.is_some(),
        }
    }
}

/// The built-in targets, read once.
fn builtins() -> &'static [RealTarget] {
    static BUILTINS: OnceLock<Vec<RealTarget>> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        // Compiled-in data, checked by a test: a mistake here is hangar's.
        file::parse("built-in targets", include_str!("builtin.toml"), true)
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

impl RealTarget {
    /// The built-in real target of `target`.
    pub fn builtin(target: Target) -> RealTarget {
        let key = match target {
            Target::OpenSsh => "openssh",
            Target::Dropbear => "dropbear",
            Target::Hangar(_) => "hangar",
        };
        let mut found = builtins()
            .iter()
            .find(|t| t.name == key)
            .cloned()
            .unwrap_or_else(|| panic!("no built-in target `{key}`"));
        found.name = target.to_string();
        found.like = target;
        found
    }

    /// The name in reports: `openssh`, or `my-openssh (like openssh)`.
    pub fn label(&self) -> String {
        match &self.file {
            Some(_) => format!("{} (like {})", self.name, self.like),
            None => self.name.clone(),
        }
    }

    /// Set for a target from a targets file.
    pub fn user(&self) -> Option<UserTarget> {
        self.file.as_ref().map(|file| UserTarget {
            name: self.name.clone(),
            file: file.clone(),
        })
    }

    /// Whether the sessions run in the run's own home.
    pub fn has_private_home(&self) -> bool {
        match self.private_home {
            PrivateHome::Always => true,
            PrivateHome::AsRoot => super::peer::is_root(),
            PrivateHome::Never => false,
        }
    }

    /// Why the sessions do not get the run's own home, for skip reasons.
    pub fn no_private_home(&self) -> String {
        match (self.private_home, &self.file) {
            (PrivateHome::AsRoot, None) => format!(
                "{}'s server gets it only when run as root",
                if self.like == Target::OpenSsh {
                    "OpenSSH"
                } else {
                    &self.name
                }
            ),
            (PrivateHome::AsRoot, Some(_)) => format!(
                "target `{}` gets it only when hangar runs as root (private_home = \"as-root\")",
                self.name
            ),
            _ => format!("target `{}` has private_home = \"never\"", self.name),
        }
    }

    /// Every template of the target.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.setup
            .iter()
            .chain(self.files.iter().map(|(_, t)| t))
            .chain([&self.server, &self.client])
            .chain(self.scp.as_ref())
            .chain(self.client_options.iter().map(|(_, t)| t))
    }

    /// The `client_options` arguments for `setting`.
    pub fn client_option(&self, setting: ClientSetting) -> Option<&Template> {
        self.client_options
            .iter()
            .find(|(s, _)| *s == setting)
            .map(|(_, t)| t)
    }

    fn uses(&self, placeholder: Placeholder) -> bool {
        self.templates().any(|t| t.uses(placeholder))
    }

    /// Why this target cannot run `scenario` as written, worded for the
    /// report; `None` when it can.
    pub fn unsupported(&self, scenario: &Scenario) -> Option<String> {
        if self.scp.is_none() && runs_scp(scenario) {
            return Some(format!(
                "the scenario runs `scp`, and target `{}` has no scp client (no `scp` in its definition)",
                self.name,
            ));
        }
        if !scenario.world.files.is_empty() && !self.has_private_home() {
            return Some(format!(
                "[world] files need the run's own home: {}",
                self.no_private_home()
            ));
        }
        // A setting the `like` target's server or client honours must
        // reach this one's too, or the run would test something else.
        let like = RealTarget::builtin(self.like);
        for (placeholder, setting, set) in SERVER_SETTINGS {
            if set(&scenario.world.server) && like.uses(placeholder) && !self.uses(placeholder) {
                return Some(format!(
                    "the scenario sets [server] {setting}, and target `{}` passes it nowhere: add {placeholder} to its server command or files",
                    self.name
                ));
            }
        }
        for setting in ClientSetting::ALL {
            if setting.is_set(&scenario.world.client)
                && like.client_option(setting).is_some()
                && self.client_option(setting).is_none()
            {
                return Some(format!(
                    "the scenario sets [client] {0}, and target `{1}` passes it nowhere: add it under [target.{1}.client_options], e.g. {0} = \"-o {0}={{{2}}}\"",
                    setting.name(),
                    self.name,
                    match setting {
                        ClientSetting::ServerAliveInterval => "server_alive_interval",
                        ClientSetting::ConnectTimeout => "connect_timeout",
                    }
                ));
            }
        }
        None
    }
}

/// The scenario's `[server]` settings that reach a target through a
/// placeholder (0, off, when unset).
type ServerSet = fn(&ServerOptions) -> bool;
const SERVER_SETTINGS: [(Placeholder, &str, ServerSet); 5] = [
    (
        Placeholder::ClientAliveInterval,
        "ClientAliveInterval",
        |s| s.client_alive_interval.is_some(),
    ),
    (Placeholder::DropbearKeepalive, "DropbearKeepalive", |s| {
        s.dropbear_keepalive.is_some()
    }),
    (Placeholder::ChannelTimeout, "ChannelTimeout", |s| {
        !s.channel_timeouts.is_empty()
    }),
    (
        Placeholder::UnusedConnectionTimeout,
        "UnusedConnectionTimeout",
        |s| s.unused_connection_timeout.is_some(),
    ),
    (
        Placeholder::DropbearIdleTimeout,
        "DropbearIdleTimeout",
        |s| s.dropbear_idle_timeout.is_some(),
    ),
];

/// Whether a command line of the scenario runs `scp` (as any word of a
/// simple command, so `timeout 5 scp ...` counts).
fn runs_scp(scenario: &Scenario) -> bool {
    fn script(s: &Script) -> bool {
        s.items.iter().any(|item| {
            std::iter::once(&item.and_or.first)
                .chain(item.and_or.rest.iter().map(|(_, c)| c))
                .any(command)
        })
    }
    fn command(c: &Command) -> bool {
        match c {
            Command::Simple(simple) => simple.words.iter().any(|w| {
                w.parts
                    .iter()
                    .any(|p| matches!(p, WordPart::Literal(t) if t == "scp"))
            }),
            Command::Subshell { body, .. } | Command::Group { body, .. } => script(body),
            Command::Pipeline { commands, .. } => commands.iter().any(command),
        }
    }
    scenario.steps.iter().any(|step| match &step.action {
        Action::Run { script: s, .. } => script(s),
        _ => false,
    })
}

/// A user's targets file, read and checked.
#[derive(Clone, Debug)]
pub struct TargetsFile {
    pub path: String,
    pub targets: Vec<RealTarget>,
}

impl TargetsFile {
    /// Reads `path`; every problem is a [`LoadError`] at its place.
    pub fn load(path: &Path) -> Result<TargetsFile, LoadError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            file: name.clone(),
            line: 1,
            col: 1,
            key: None,
            message: match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "cannot read the targets file: no such file".to_string()
                }
                _ => format!("cannot read the targets file: {e}"),
            },
            example: Some(format!(
                "hangar run scenarios/ --lane real --targets ci/targets.example.toml\n{}",
                file::EXAMPLE
            )),
            more: Box::default(),
        })?;
        Ok(TargetsFile {
            targets: file::parse(&name, &text, false)?,
            path: name,
        })
    }
}

/// The targets `names` (from `--target`) stand for in the real lane:
/// built-in names and the names of the file's targets. No name: the
/// file's targets, or `openssh` and `dropbear` without a file.
pub fn resolve(names: &[String], file: Option<&TargetsFile>) -> Result<Vec<RealTarget>, String> {
    if names.is_empty() {
        return Ok(match file {
            Some(f) => f.targets.clone(),
            None => vec![
                RealTarget::builtin(Target::OpenSsh),
                RealTarget::builtin(Target::Dropbear),
            ],
        });
    }
    names
        .iter()
        .map(|name| {
            if let Some(t) = file.and_then(|f| f.targets.iter().find(|t| &t.name == name)) {
                return Ok(t.clone());
            }
            match name.parse::<Target>() {
                Ok(t) => Ok(RealTarget::builtin(t)),
                Err(e) if name.starts_with("hangar:drain=") => Err(format!("--target: {e}")),
                Err(_) => Err(unknown(name, file)),
            }
        })
        .collect()
}

fn unknown(name: &str, file: Option<&TargetsFile>) -> String {
    let builtin = TARGET_FORMS
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match file {
        Some(f) => format!(
            "--target: unknown target `{name}`; the built-in targets are {builtin}, and {} defines {}",
            f.path,
            f.targets
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "--target: unknown target `{name}`; the built-in targets are {builtin}; \
             a target of your own is defined in a targets file given with --targets FILE\n  \
             example: hangar run scenarios/ --lane real --targets ci/targets.example.toml --target my-openssh"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtins_parse_and_name_themselves() {
        for target in [
            Target::OpenSsh,
            Target::Dropbear,
            Target::Hangar(hangar_scenario::Policy::WaitEof),
            "hangar:drain=2s".parse().unwrap(),
        ] {
            let real = RealTarget::builtin(target);
            assert_eq!(real.like, target);
            assert_eq!(real.label(), target.to_string());
            assert_eq!(real.user(), None);
        }
        // Every built-in copies: the hangar targets with OpenSSH's scp.
        assert!(RealTarget::builtin(Target::OpenSsh).scp.is_some());
        assert!(
            RealTarget::builtin(Target::Hangar(hangar_scenario::Policy::CloseOnExit))
                .scp
                .is_some()
        );
    }

    #[test]
    fn resolve_knows_builtins_and_the_files_targets() {
        let file = TargetsFile {
            path: "t.toml".into(),
            targets: file::parse("t.toml", &format!("{}\n", file::EXAMPLE), false).unwrap(),
        };
        let names = |ns: &[&str]| ns.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = resolve(&names(&["my-openssh", "hangar:close-on-exit"]), Some(&file)).unwrap();
        assert_eq!(got[0].label(), "my-openssh (like openssh)");
        assert_eq!(got[1].label(), "hangar:close-on-exit");
        assert_eq!(resolve(&[], Some(&file)).unwrap().len(), 1);
        assert_eq!(resolve(&[], None).unwrap().len(), 2);
        let err = resolve(&names(&["nope"]), Some(&file)).unwrap_err();
        assert!(err.contains("t.toml defines `my-openssh`"), "{err}");
        let err = resolve(&names(&["my-openssh"]), None).unwrap_err();
        assert!(err.contains("--targets FILE"), "{err}");
        let err = resolve(&names(&["hangar:drain=2"]), None).unwrap_err();
        assert!(err.contains("a number needs a unit"), "{err}");
    }

    fn scenario(toml: &str) -> Scenario {
        hangar_scenario::load_str("t.toml", &format!("title = \"t\"\nsource = \"s\"\n{toml}"))
            .unwrap()
    }

    #[test]
    fn scp_is_found_wherever_a_line_runs_it() {
        let runs = |line: &str| runs_scp(&scenario(&format!("[[step]]\nrun = \"{line}\"\n")));
        assert!(runs("scp -O server:f ."));
        assert!(runs("timeout 5 scp -O server:f . && echo done"));
        assert!(runs("(nohup scp -O server:f . &)"));
        assert!(!runs("ssh server 'echo hi'"));
    }

    #[test]
    fn without_the_runs_own_home_files_are_skipped_with_the_reason() {
        let files = scenario(
            "[world]\nfiles = { big = \"1KiB\" }\n[[step]]\nrun = \"ssh server 'cat big'\"\n",
        );
        let text = format!("{}\n", file::EXAMPLE).replace(
            "like = \"openssh\"",
            "like = \"openssh\"\nprivate_home = \"never\"",
        );
        let never = &file::parse("t.toml", &text, false).unwrap()[0];
        assert_eq!(
            never.unsupported(&files).unwrap(),
            "[world] files need the run's own home: target `my-openssh` has private_home = \"never\""
        );
        let dropbear = RealTarget::builtin(Target::Dropbear);
        assert_eq!(dropbear.unsupported(&files), None);
    }
}
