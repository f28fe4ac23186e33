//! A targets file: TOML with one `[target.<name>]` table per target, read
//! into [`RealTarget`]s. The built-in targets are such a file too
//! (`builtin.toml`). Every mistake is a [`LoadError`] at `file:line:col`,
//! with what was expected and an example; nothing here panics.

use std::collections::BTreeMap;
use std::ops::Range;

use hangar_scenario::{LoadError, Target, line_col, string_offset};
use serde::Deserialize;
use toml::Spanned;

use super::template::{Placeholder, Template};
use super::{ClientSetting, PrivateHome, RealTarget};

/// The shape of a target, for error messages.
pub const EXAMPLE: &str = r#"[target.my-openssh]
like = "openssh"
server = "/opt/openssh/sbin/sshd -D -e -f {config_dir}/sshd_config"
client = "/opt/openssh/bin/ssh -F none -o HostName=127.0.0.1 -o Port={port} -o User={user} -o IdentityFile={user_key}"
[target.my-openssh.files]
sshd_config = "Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nAuthorizedKeysFile {authorized_keys}\nSetEnv {marker}\n""#;

/// Names a user's target may not take: the built-ins'.
const RESERVED: [&str; 3] = ["openssh", "dropbear", "hangar"];

/// Names of the run's own entries in `{config_dir}`, which `files` may not
/// overwrite.
const RUN_FILES: [&str; 7] = [
    "host_key",
    "host_key.pub",
    "user_key",
    "user_key.pub",
    "home",
    "bin",
    "server.log",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    target: BTreeMap<Spanned<String>, Spanned<RawTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    like: Option<Spanned<String>>,
    private_home: Option<Spanned<String>>,
    #[serde(default)]
    packages: BTreeMap<String, String>,
    #[serde(default)]
    setup: Vec<Spanned<String>>,
    #[serde(default)]
    files: BTreeMap<Spanned<String>, Spanned<String>>,
    server: Option<Spanned<String>>,
    client: Option<Spanned<String>>,
    scp: Option<Spanned<String>>,
    #[serde(default)]
    client_options: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// Reads the targets defined in `text`, the contents of `file`, in file
/// order. `builtin` is set for hangar's own file, whose names are the
/// reserved ones.
pub fn parse(file: &str, text: &str, builtin: bool) -> Result<Vec<RealTarget>, LoadError> {
    let at = |offset: usize, key: Option<String>, message: String, example: &str| {
        let (line, col) = line_col(text, offset);
        LoadError {
            file: file.to_string(),
            line,
            col,
            key,
            message,
            example: Some(example.to_string()),
            more: Box::default(),
        }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        at(
            e.span().map_or(0, |s| s.start),
            None,
            e.message().trim().to_string(),
            EXAMPLE,
        )
    })?;
    if raw.target.is_empty() {
        return Err(at(
            0,
            None,
            "the file defines no target: expected one or more `[target.<name>]` tables".into(),
            EXAMPLE,
        ));
    }
    let mut entries: Vec<_> = raw.target.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    let mut targets = Vec::new();
    for (name, body) in entries {
        let reader = Reader {
            text,
            name: name.get_ref(),
            at: &at,
        };
        targets.push(reader.target(name, body, file, builtin)?);
    }
    Ok(targets)
}

type At<'a> = dyn Fn(usize, Option<String>, String, &str) -> LoadError + 'a;

/// Reads one `[target.<name>]` table.
struct Reader<'a> {
    text: &'a str,
    name: &'a str,
    at: &'a At<'a>,
}

impl Reader<'_> {
    fn key(&self, key: &str) -> Option<String> {
        Some(format!("target.{}.{key}", self.name))
    }

    fn error(&self, offset: usize, key: &str, message: String, example: &str) -> LoadError {
        (self.at)(offset, self.key(key), message, example)
    }

    fn target(
        &self,
        name: &Spanned<String>,
        body: &Spanned<RawTarget>,
        file: &str,
        builtin: bool,
    ) -> Result<RealTarget, LoadError> {
        let table = name.span().start;
        if !builtin {
            self.check_name(table)?;
        }
        let raw = body.get_ref();
        let like = self.like(raw.like.as_ref(), table)?;
        let private_home = self.private_home(raw.private_home.as_ref())?;
        let setup = raw
            .setup
            .iter()
            .map(|s| self.template(s, "setup"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut files = Vec::new();
        let mut file_entries: Vec<_> = raw.files.iter().collect();
        file_entries.sort_by_key(|(n, _)| n.span().start);
        for (file_name, content) in file_entries {
            self.check_file_name(file_name)?;
            files.push((
                file_name.get_ref().clone(),
                self.template(content, &format!("files.{}", file_name.get_ref()))?,
            ));
        }
        let server = self.required(raw.server.as_ref(), table, "server")?;
        let client = self.required(raw.client.as_ref(), table, "client")?;
        let scp = raw
            .scp
            .as_ref()
            .map(|s| self.template(s, "scp"))
            .transpose()?;
        let mut client_options = Vec::new();
        let mut option_entries: Vec<_> = raw.client_options.iter().collect();
        option_entries.sort_by_key(|(n, _)| n.span().start);
        for (setting, value) in option_entries {
            let key = format!("client_options.{}", setting.get_ref());
            let Some(known) = ClientSetting::ALL
                .into_iter()
                .find(|s| s.name() == setting.get_ref())
            else {
                return Err(self.error(
                    setting.span().start,
                    &key,
                    format!(
                        "unknown client setting `{}`; the settings are `ServerAliveInterval` and `ConnectTimeout`, as under [client] in scenario files",
                        setting.get_ref()
                    ),
                    example_of("client_options"),
                ));
            };
            client_options.push((known, self.template(value, &key)?));
        }
        let target = RealTarget {
            name: self.name.to_string(),
            like,
            file: (!builtin).then(|| file.to_string()),
            private_home,
            packages: raw
                .packages
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            setup,
            files,
            server,
            client,
            scp,
            client_options,
        };
        self.check_whole(&target, raw, table)?;
        Ok(target)
    }

    fn check_name(&self, at: usize) -> Result<(), LoadError> {
        let valid = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid {
            return Err((self.at)(
                at,
                None,
                format!(
                    "target name `{}`: a name is letters, digits, `-`, `_` and `.`, as it is typed after --target",
                    self.name
                ),
                "[target.my-openssh]",
            ));
        }
        if RESERVED.contains(&self.name) {
            return Err((self.at)(
                at,
                None,
                format!(
                    "`{}` is a built-in target; give yours a name of its own and say whose expectations it meets with `like`",
                    self.name
                ),
                &format!("[target.my-{}]\nlike = \"{}\"", self.name, self.name),
            ));
        }
        Ok(())
    }

    fn like(&self, raw: Option<&Spanned<String>>, table: usize) -> Result<Target, LoadError> {
        let example = "like = \"openssh\"";
        let Some(like) = raw else {
            return Err(self.error(
                table,
                "like",
                format!(
                    "target `{}` has no `like`: the built-in target whose expectations its runs are checked against ({})",
                    self.name,
                    hangar_scenario::TARGET_FORMS
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                example,
            ));
        };
        like.get_ref()
            .parse()
            .map_err(|e: hangar_scenario::ParseTargetError| {
                self.error(like.span().start, "like", e.to_string(), example)
            })
    }

    fn private_home(&self, raw: Option<&Spanned<String>>) -> Result<PrivateHome, LoadError> {
        let Some(value) = raw else {
            return Ok(PrivateHome::AsRoot);
        };
        match value.get_ref().as_str() {
            "always" => Ok(PrivateHome::Always),
            "as-root" => Ok(PrivateHome::AsRoot),
            "never" => Ok(PrivateHome::Never),
            other => Err(self.error(
                value.span().start,
                "private_home",
                format!(
                    "expected `always` (a private mount namespace, a user namespace without root), \
                     `as-root` (only when hangar runs as root; the default) or `never`, found `{other}`"
                ),
                "private_home = \"as-root\"",
            )),
        }
    }

    fn check_file_name(&self, name: &Spanned<String>) -> Result<(), LoadError> {
        let n = name.get_ref();
        let problem = if n.is_empty() || n.contains('/') || n == "." || n == ".." {
            Some(format!(
                "file name `{n}`: a file goes straight into {{config_dir}}, so its name has no `/`"
            ))
        } else if RUN_FILES.contains(&n.as_str()) {
            Some(format!(
                "file name `{n}`: the run writes its own `{n}` there; choose another name"
            ))
        } else {
            None
        };
        match problem {
            Some(message) => Err(self.error(
                name.span().start,
                &format!("files.{n}"),
                message,
                "[target.my-openssh.files]\nsshd_config = \"Port {port}\\n...\"",
            )),
            None => Ok(()),
        }
    }

    fn required(
        &self,
        raw: Option<&Spanned<String>>,
        table: usize,
        key: &str,
    ) -> Result<Template, LoadError> {
        match raw {
            Some(value) => self.template(value, key),
            None => {
                let what = match key {
                    "server" => "the command that starts its server in the foreground",
                    _ => "its ssh client command; the scenario's arguments come after it",
                };
                Err(self.error(
                    table,
                    key,
                    format!("target `{}` has no `{key}`: {what}", self.name),
                    example_of(key),
                ))
            }
        }
    }

    fn template(&self, value: &Spanned<String>, key: &str) -> Result<Template, LoadError> {
        Template::parse(value.get_ref()).map_err(|e| {
            let span: Range<usize> = value.span();
            let offset = string_offset(self.text, &span, value.get_ref(), e.offset);
            self.error(offset, key, e.message, example_of(key))
        })
    }

    /// What only the whole target shows: it passes the marker and the
    /// port, and `{policy}` has a policy to stand for.
    fn check_whole(
        &self,
        target: &RealTarget,
        raw: &RawTarget,
        table: usize,
    ) -> Result<(), LoadError> {
        let server_at = raw.server.as_ref().map_or(table, |s| s.span().start);
        let server_side_uses = |p| {
            target.server.uses(p)
                || target.setup.iter().any(|t| t.uses(p))
                || target.files.iter().any(|(_, t)| t.uses(p))
        };
        if !server_side_uses(Placeholder::Marker) {
            return Err(self.error(
                server_at,
                "server",
                format!(
                    "target `{}` never passes {{marker}} to its sessions: hangar finds every process of a run, and ends it, by that variable in its environment",
                    self.name
                ),
                "server = \"/opt/openssh/sbin/sshd -D -e -f /dev/null -o SetEnv={marker} ...\"   # OpenSSH\n\
                 server = \"env {marker} /opt/dropbear/sbin/dropbear -F -e ...\"   # Dropbear passes its environment with -e",
            ));
        }
        if !server_side_uses(Placeholder::Port) {
            return Err(self.error(
                server_at,
                "server",
                format!(
                    "target `{}`'s server never uses {{port}}: it must listen on 127.0.0.1:{{port}}",
                    self.name
                ),
                "server = \"/opt/openssh/sbin/sshd -D -e -f /dev/null -o Port={port} -o ListenAddress=127.0.0.1 ...\"",
            ));
        }
        for (key, template, value) in [
            ("client", Some(&target.client), raw.client.as_ref()),
            ("scp", target.scp.as_ref(), raw.scp.as_ref()),
        ] {
            if let (Some(t), Some(v)) = (template, value)
                && !t.uses(Placeholder::Port)
            {
                return Err(self.error(
                    v.span().start,
                    key,
                    format!(
                        "target `{}`'s {key} never uses {{port}}: it must connect to 127.0.0.1 port {{port}} (the fault proxy in front of the server)",
                        self.name
                    ),
                    example_of(key),
                ));
            }
        }
        let uses_policy = target.templates().any(|t| t.uses(Placeholder::Policy));
        if uses_policy && !matches!(target.like, Target::Hangar(_)) {
            return Err(self.error(
                raw.like.as_ref().map_or(table, |l| l.span().start),
                "like",
                format!(
                    "{{policy}} is the policy of a `hangar:<policy>` target, and target `{}` is like `{}`",
                    self.name, target.like
                ),
                "like = \"hangar:close-on-exit\"",
            ));
        }
        Ok(())
    }
}

fn example_of(key: &str) -> &'static str {
    match key {
        "server" => "server = \"/opt/openssh/sbin/sshd -D -e -f {config_dir}/sshd_config\"",
        "client" => {
            "client = \"/opt/openssh/bin/ssh -F none -o HostName=127.0.0.1 -o Port={port} -o User={user} -o IdentityFile={user_key}\""
        }
        "scp" => {
            "scp = \"/opt/openssh/bin/scp -F none -o HostName=127.0.0.1 -o Port={port} -o User={user} -o IdentityFile={user_key}\""
        }
        "setup" => "setup = [\"mkdir -p {config_dir}/empty\"]",
        k if k.starts_with("client_options") => {
            "[target.my-openssh.client_options]\nServerAliveInterval = \"-o ServerAliveInterval={server_alive_interval} -o ServerAliveCountMax={server_alive_count_max}\"\nConnectTimeout = \"-o ConnectTimeout={connect_timeout}\""
        }
        _ => {
            "[target.my-openssh.files]\nsshd_config = \"Port {port}\\nHostKey {host_key}\\nSetEnv {marker}\\n\""
        }
    }
}

#[cfg(test)]
mod tests;
