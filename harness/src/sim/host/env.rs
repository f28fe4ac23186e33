//! What a host's programs can reach beyond their process: the network and
//! the scenario's settings.

use std::sync::{Arc, Mutex};

use hangar_scenario::{ClientOptions, Host, ServerOptions, Target};

use crate::sim::Swarm;
use crate::sim::net::Network;

/// Shared by every program of one host in one run.
pub struct HostEnv {
    pub host: Host,
    pub net: Network,
    pub target: Target,
    pub client: ClientOptions,
    pub server: ServerOptions,
    /// Settings drawn from the seed (scheduling orders).
    pub swarm: Swarm,
    /// Reports of the sshd sessions that ended, for the outcome summary.
    pub sessions: Arc<Mutex<Vec<Arc<super::SessionReport>>>>,
    /// The host's tmux server (what its socket would reach).
    pub tmux: super::tmux::TmuxServer,
}
