//! Which lifeline of the sequence diagram an actor of the trace belongs
//! to: the client host's processes, the client's ssh, the network, the
//! server's sshd, the server's processes. Actors are named `host
//! program[pid]` in both lanes (`client ssh[3]`, `server sleep[5]`); the
//! network is `net` in the sim and `proxy` in the real lane.

/// A lifeline, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Lifeline {
    ClientProcesses,
    ClientSsh,
    Net,
    Sshd,
    ServerProcesses,
    /// The harness's own steps: drawn across the whole diagram.
    Harness,
}

impl Lifeline {
    pub(crate) const DRAWN: [Lifeline; 5] = [
        Lifeline::ClientProcesses,
        Lifeline::ClientSsh,
        Lifeline::Net,
        Lifeline::Sshd,
        Lifeline::ServerProcesses,
    ];

    pub(crate) fn title(self) -> &'static str {
        match self {
            Lifeline::ClientProcesses => "client processes",
            Lifeline::ClientSsh => "client ssh",
            Lifeline::Net => "network",
            Lifeline::Sshd => "sshd",
            Lifeline::ServerProcesses => "server processes",
            Lifeline::Harness => "harness",
        }
    }

    /// The SSH endpoint on the other side of the network.
    pub(crate) fn peer(self) -> Option<Lifeline> {
        match self {
            Lifeline::ClientSsh => Some(Lifeline::Sshd),
            Lifeline::Sshd => Some(Lifeline::ClientSsh),
            _ => None,
        }
    }
}

/// Client programs that speak SSH for the command line: OpenSSH's, the
/// sim's and hangar's own `ssh`, and the independent clients targets run.
const SSH_CLIENTS: [&str; 5] = ["ssh", "hangar-ssh", "dbclient", "plink", "lsh"];

/// Servers of the targets, as their processes are named.
const SSH_SERVERS: [&str; 5] = ["sshd", "hangar-sshd", "dropbear", "tinysshd", "lshd"];

/// The program of an actor: `sleep` of `server sleep[5]`.
pub(crate) fn program(actor: &str) -> &str {
    let name = actor.split_once(' ').map_or(actor, |(_, rest)| rest);
    name.split('[').next().unwrap_or(name)
}

/// The lifeline of an actor.
pub(crate) fn lifeline_of(actor: &str) -> Lifeline {
    let Some((host, _)) = actor.split_once(' ') else {
        return match actor {
            "net" | "proxy" => Lifeline::Net,
            "client" => Lifeline::ClientProcesses,
            "server" => Lifeline::ServerProcesses,
            _ => Lifeline::Harness,
        };
    };
    let program = program(actor);
    match host {
        "client" if SSH_CLIENTS.contains(&program) => Lifeline::ClientSsh,
        "client" => Lifeline::ClientProcesses,
        "server" if SSH_SERVERS.contains(&program) => Lifeline::Sshd,
        "server" => Lifeline::ServerProcesses,
        _ => Lifeline::Harness,
    }
}

/// Whether an actor is a process (it has a pid), and so a bar of its own.
pub(crate) fn is_process(actor: &str) -> bool {
    actor.ends_with(']') && actor.contains('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("client ssh[3]", Lifeline::ClientSsh)]
    #[case("client sh[2]", Lifeline::ClientProcesses)]
    #[case("client", Lifeline::ClientProcesses)]
    #[case("net", Lifeline::Net)]
    #[case("proxy", Lifeline::Net)]
    #[case("server sshd[3]", Lifeline::Sshd)]
    #[case("server dropbear[77]", Lifeline::Sshd)]
    #[case("server sleep[5]", Lifeline::ServerProcesses)]
    #[case("server ssh[9]", Lifeline::ServerProcesses)]
    #[case("harness", Lifeline::Harness)]
    fn actors_find_their_lifeline(#[case] actor: &str, #[case] lifeline: Lifeline) {
        assert_eq!(lifeline_of(actor), lifeline);
    }

    #[test]
    fn processes_are_the_actors_with_a_pid() {
        assert!(is_process("server sleep[5]"));
        assert!(!is_process("net"));
        assert!(!is_process("client"));
        assert_eq!(program("server sleep[5]"), "sleep");
    }
}
