//! The targets file's errors: each at its `file:line:col`, saying what was
//! expected, with an example.

use super::*;

/// A target that is right, for the tests to break one line of.
const GOOD: &str = r#"[target.my-openssh]
like = "openssh"
server = "/opt/sshd -D -e -f {config_dir}/sshd_config"
client = "/opt/ssh -F none -o HostName=127.0.0.1 -o Port={port} -o User={user}"
[target.my-openssh.files]
sshd_config = "Port {port}\nSetEnv {marker}\n"
"#;

fn error(text: &str) -> String {
    parse("t.toml", text, false).unwrap_err().to_string()
}

#[test]
fn a_good_file_reads_in_file_order() {
    let text = format!(
        "{GOOD}[target.b]\nlike = \"dropbear\"\nprivate_home = \"always\"\nserver = \"env {{marker}} /opt/dropbear -p 127.0.0.1:{{port}}\"\nclient = \"/opt/ssh -p {{port}}\"\n"
    );
    let targets = parse("t.toml", &text, false).unwrap();
    let names: Vec<_> = targets.iter().map(|t| t.label()).collect();
    assert_eq!(names, ["my-openssh (like openssh)", "b (like dropbear)"]);
    assert_eq!(targets[0].private_home, PrivateHome::AsRoot);
    assert_eq!(targets[1].private_home, PrivateHome::Always);
    assert_eq!(targets[0].file.as_deref(), Some("t.toml"));
    assert_eq!(targets[0].files[0].0, "sshd_config");
}

#[test]
fn the_example_in_messages_is_a_good_file() {
    assert!(parse("e.toml", EXAMPLE, false).is_ok());
}

#[test]
fn an_unknown_key_is_named_with_the_keys_there_are() {
    let text = GOOD.replace("like = ", "lik = ");
    let err = error(&text);
    assert!(
        err.starts_with("t.toml:2:1: unknown field `lik`, expected one of "),
        "{err}"
    );
    assert!(err.contains("`like`"), "{err}");
    assert!(err.contains("\n  example: [target.my-openssh]"), "{err}");
}

#[test]
fn an_unknown_placeholder_is_pointed_at() {
    let text = GOOD.replace("Port={port}", "Port={prot}");
    assert!(
        error(&text).starts_with(
            "t.toml:4:58: target.my-openssh.client: unknown placeholder `{prot}` (did you mean `{port}`?)"
        ),
        "{}",
        error(&text)
    );
    // In a file's text, after an escape.
    let text = GOOD.replace("SetEnv {marker}", "SetEnv {markr}");
    assert!(
        error(&text).starts_with("t.toml:6:36: target.my-openssh.files.sshd_config: unknown placeholder `{markr}` (did you mean `{marker}`?)"),
        "{}",
        error(&text)
    );
}

#[test]
fn a_lone_brace_says_how_to_write_one() {
    let err = error(&GOOD.replace("-D -e", "-D } -e"));
    assert!(err.starts_with("t.toml:3:24: target.my-openssh.server: a `}` that closes no placeholder; write `}}` for a literal brace"), "{err}");
    let err = error(&GOOD.replace("-D -e", "-D ${HOME} -e"));
    assert!(err.starts_with("t.toml:3:25: target.my-openssh.server: `${HOME}` is shell text, not a placeholder: write `${{HOME}}`"), "{err}");
}

#[test]
fn a_bad_like_lists_the_targets() {
    let err = error(&GOOD.replace("like = \"openssh\"", "like = \"OpenSSH\""));
    assert!(
        err.starts_with("t.toml:2:8: target.my-openssh.like: unknown target `OpenSSH`; the targets are `openssh`"),
        "{err}"
    );
    assert!(err.contains("example: like = \"openssh\""), "{err}");
    let err = error(&GOOD.replace("like = \"openssh\"\n", ""));
    assert!(
        err.starts_with("t.toml:1:9: target.my-openssh.like: target `my-openssh` has no `like`"),
        "{err}"
    );
}

#[test]
fn missing_commands_are_named() {
    let err = error(&GOOD.replace("client = ", "#client = "));
    assert!(
        err.contains("target.my-openssh.client: target `my-openssh` has no `client`"),
        "{err}"
    );
    let err = error(&GOOD.replace("server = ", "#server = "));
    assert!(
        err.contains("has no `server`: the command that starts its server"),
        "{err}"
    );
}

#[test]
fn the_marker_and_the_ports_must_be_passed() {
    let err = error(&GOOD.replace("SetEnv {marker}", "SetEnv X=1"));
    assert!(
        err.starts_with(
            "t.toml:3:10: target.my-openssh.server: target `my-openssh` never passes {marker}"
        ),
        "{err}"
    );
    assert!(err.contains("example: server = "), "{err}");
    let err = error(&GOOD.replace("Port {port}", "Port 22"));
    assert!(err.contains("server never uses {port}"), "{err}");
    let err = error(&GOOD.replace("-o Port={port} ", ""));
    assert!(
        err.starts_with(
            "t.toml:4:10: target.my-openssh.client: target `my-openssh`'s client never uses {port}"
        ),
        "{err}"
    );
}

#[test]
fn builtin_names_and_odd_names_are_refused() {
    let err = error(
        &GOOD
            .replace("[target.my-openssh]", "[target.openssh]")
            .replace("[target.my-openssh.files]", "[target.openssh.files]"),
    );
    assert!(
        err.starts_with("t.toml:1:9: `openssh` is a built-in target"),
        "{err}"
    );
    let err = error(
        &GOOD
            .replace("[target.my-openssh]", "[target.\"my openssh\"]")
            .replace("[target.my-openssh.files]", "[target.\"my openssh\".files]"),
    );
    assert!(err.contains("target name `my openssh`"), "{err}");
}

#[test]
fn policy_needs_a_hangar_like_target() {
    let err = error(&GOOD.replace("-D -e", "--policy {policy}"));
    assert!(
        err.contains(
            "target.my-openssh.like: {policy} is the policy of a `hangar:<policy>` target"
        ),
        "{err}"
    );
}

#[test]
fn bad_values_and_shapes() {
    let err = error(&GOOD.replace(
        "like = \"openssh\"",
        "like = \"openssh\"\nprivate_home = \"yes\"",
    ));
    assert!(
        err.starts_with("t.toml:3:16: target.my-openssh.private_home: expected `always`"),
        "{err}"
    );
    let err = error(&GOOD.replace(
        "like = \"openssh\"",
        "like = \"openssh\"\nsetup = \"mkdir x\"",
    ));
    assert!(
        err.starts_with("t.toml:3:9: invalid type: string \"mkdir x\", expected a sequence"),
        "{err}"
    );
    let err = error(&GOOD.replace("sshd_config =", "\"../x\" ="));
    assert!(err.contains("file name `../x`"), "{err}");
    let err = error(&GOOD.replace("sshd_config =", "host_key ="));
    assert!(err.contains("the run writes its own `host_key`"), "{err}");
    let err = error(&format!(
        "{GOOD}[target.my-openssh.client_options]\nServerAlive = \"-o X\"\n"
    ));
    assert!(err.starts_with("t.toml:8:1: target.my-openssh.client_options.ServerAlive: unknown client setting `ServerAlive`"), "{err}");
    let err = error("# nothing\n");
    assert!(
        err.starts_with("t.toml:1:1: the file defines no target"),
        "{err}"
    );
    let err = error("[target.x\n");
    assert!(err.starts_with("t.toml:1:"), "{err}");
}
