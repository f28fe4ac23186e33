//! Who sessions run as and what they start with, as sshd(8) sets it up
//! (session.c do_setup_env, do_child): the invoking user's passwd entry
//! gives the shell and the home, which is also the working directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use nix::unistd::{User, getuid};

/// sshd(8): the PATH of a session (_PATH_STDPATH).
const SESSION_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[derive(Clone, Debug)]
pub struct Login {
    pub user: String,
    pub home: PathBuf,
    pub shell: PathBuf,
}

impl Login {
    /// The passwd entry of the user hangar-sshd runs as (getpwuid(3)).
    pub fn invoking_user() -> Result<Login, String> {
        let uid = getuid();
        let user = User::from_uid(uid)
            .map_err(|e| format!("looking up uid {uid}: {e}"))?
            .ok_or(format!("uid {uid} has no passwd entry"))?;
        let shell = if user.shell.as_os_str().is_empty() {
            PathBuf::from("/bin/sh")
        } else {
            user.shell
        };
        Ok(Login {
            user: user.name,
            home: user.dir,
            shell,
        })
    }

    /// The shell's name as argv[0]: `bash` for `-c`, `-bash` for a login
    /// shell (sshd's do_child: a leading dash asks for a login shell).
    pub fn shell_name(&self, login: bool) -> String {
        let base = self
            .shell
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sh".into());
        if login { format!("-{base}") } else { base }
    }

    /// The working directory: the home, or `/` when it is missing (sshd
    /// says "Could not chdir to home directory" and goes on).
    pub fn working_directory(&self) -> &Path {
        if self.home.is_dir() {
            &self.home
        } else {
            Path::new("/")
        }
    }

    /// A session's environment: the login variables, SSH_CONNECTION
    /// (client address and port, server address and port), the server's
    /// `--setenv` pairs, and TERM for a pty.
    pub fn environment(
        &self,
        client: SocketAddr,
        server: SocketAddr,
        setenv: &[(String, String)],
        term: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut env = vec![
            ("USER".to_string(), self.user.clone()),
            ("LOGNAME".to_string(), self.user.clone()),
            ("HOME".to_string(), self.home.display().to_string()),
            ("PATH".to_string(), SESSION_PATH.to_string()),
            ("SHELL".to_string(), self.shell.display().to_string()),
            (
                "SSH_CONNECTION".to_string(),
                format!(
                    "{} {} {} {}",
                    client.ip(),
                    client.port(),
                    server.ip(),
                    server.port()
                ),
            ),
        ];
        if let Some(term) = term {
            env.push(("TERM".to_string(), term.to_string()));
        }
        for (name, value) in setenv {
            env.retain(|(n, _)| n != name);
            env.push((name.clone(), value.clone()));
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Login {
        Login {
            user: "ann".into(),
            home: "/home/ann".into(),
            shell: "/bin/bash".into(),
        }
    }

    #[test]
    fn login_shells_get_a_dash() {
        assert_eq!(login().shell_name(true), "-bash");
        assert_eq!(login().shell_name(false), "bash");
    }

    #[test]
    fn environment_has_the_login_variables_and_the_extras() {
        let env = login().environment(
            "127.0.0.1:5000".parse().unwrap(),
            "127.0.0.1:22".parse().unwrap(),
            &[
                ("HANGAR_RUN".into(), "7".into()),
                ("PATH".into(), "/x".into()),
            ],
            Some("xterm"),
        );
        let get = |name: &str| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("SSH_CONNECTION"), Some("127.0.0.1 5000 127.0.0.1 22"));
        assert_eq!(get("HOME"), Some("/home/ann"));
        assert_eq!(get("TERM"), Some("xterm"));
        assert_eq!(get("HANGAR_RUN"), Some("7"));
        assert_eq!(get("PATH"), Some("/x"));
    }
}
