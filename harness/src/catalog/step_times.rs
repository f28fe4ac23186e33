//! The times a run's steps happened, read from the typed events of its
//! trace: what the lane comparison measures a client's end against.

use std::time::Duration;

use hangar_scenario::{Action, Scenario};

use crate::run::RunResult;
use crate::trace::{Event, ProcessEvent, TcpEvent, What};

/// When the run's steps happened, as its trace shows them in both lanes:
/// a command line's shell started by the client's init, a terminal's
/// keystrokes or resize, one of the scenario's network faults (the sim's
/// network also logs what a fault led to, which is no step). A
/// `wait_for` and the real lane's slower typing put steps later than the
/// scenario's times.
pub(crate) fn step_times(scenario: &Scenario, result: &RunResult) -> Vec<Duration> {
    let faults: Vec<_> = scenario
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Net(fault) => Some(fault),
            _ => None,
        })
        .collect();
    let is_step = |event: &Event| match (&event.what, event.actor.as_str()) {
        (What::Tcp(TcpEvent::Fault { fault } | TcpEvent::FaultStep { fault }), "net") => {
            faults.contains(&fault)
        }
        (_, "client terminal") => true,
        (What::Process(ProcessEvent::Started { parent }), actor) => {
            actor.starts_with("client sh[") && parent == "client init[1]"
        }
        _ => false,
    };
    result
        .events
        .iter()
        .filter(|event| is_step(event))
        .map(|event| event.at)
        .collect()
}
