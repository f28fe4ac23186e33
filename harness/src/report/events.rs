//! A run's events as JSON (`hangar run --format json --events`): one
//! object per event, with what the trace line says in words and in fields.

use serde_json::{Value, json};

use crate::trace::{Event, event_text};

/// The events as an array of objects: `at_us` (virtual microseconds since
/// the start of the run), `actor`, `group` (`ssh`, `client`, `scp`, `tcp`,
/// `process`, `pipe`, `tty`, `harness`, `data_run`), `kind` (the event
/// within its group; a data run's is its group),
/// the event's own fields, and `text`, what the trace line says.
pub fn events_json(events: &[Event]) -> Value {
    Value::Array(events.iter().map(event_json).collect())
}

fn event_json(event: &Event) -> Value {
    let mut object = match serde_json::to_value(&event.what) {
        Ok(Value::Object(fields)) => fields,
        // Every event serializes to an object; should one not, its text
        // still goes out.
        _ => serde_json::Map::new(),
    };
    if !object.contains_key("kind") {
        let group = object.get("group").cloned().unwrap_or(json!("data_run"));
        object.insert("kind".into(), group);
    }
    object.insert("at_us".into(), json!(event.at.as_micros() as u64));
    object.insert("actor".into(), json!(event.actor));
    object.insert("text".into(), json!(event_text(event)));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::trace::{
        DataRun, Dir, EofCause, ProcessEvent, ProxyLine, SshEvent, Stream, TcpEvent, Way, What,
    };

    fn event(ms: u64, actor: &str, what: impl Into<What>) -> Event {
        Event {
            at: Duration::from_millis(ms),
            actor: actor.into(),
            what: what.into(),
        }
    }

    #[test]
    fn each_event_is_an_object_with_its_kind_fields_time_actor_and_text() {
        let events = [
            event(
                4,
                "client ssh[2]",
                SshEvent::Exec {
                    way: Way::Sent,
                    command: "sleep 30 &".into(),
                },
            ),
            event(
                6,
                "server sshd[3]",
                SshEvent::Eof {
                    way: Way::Sent,
                    cause: EofCause::Plain,
                },
            ),
            event(7, "server sh[4]", ProcessEvent::Exited { code: 0 }),
            event(
                8,
                "proxy",
                TcpEvent::Proxy(ProxyLine::Passed {
                    conn: 1,
                    dir: Dir::ClientToServer,
                    segment: crate::trace::Segment::Fin,
                }),
            ),
            event(
                9,
                "server sshd[3]",
                What::DataRun(DataRun {
                    messages: 2,
                    bytes: 30,
                    sizes: vec![10, 20],
                    ..DataRun::one(
                        Dir::ServerToClient,
                        Stream::Stdout,
                        10,
                        Duration::from_millis(12),
                    )
                }),
            ),
        ];
        let text = events_json(&events).to_string();
        let parsed: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed[0],
            json!({
                "at_us": 4000, "actor": "client ssh[2]", "group": "ssh", "kind": "exec",
                "way": "sent", "command": "sleep 30 &", "text": "-> exec \"sleep 30 &\"",
            })
        );
        assert_eq!(parsed[1]["kind"], "eof");
        assert_eq!(parsed[1]["cause"], "plain");
        assert_eq!(parsed[2]["group"], "process");
        assert_eq!(parsed[2]["code"], 0);
        assert_eq!(parsed[2]["text"], "exit 0");
        assert_eq!(parsed[3]["kind"], "proxy");
        assert_eq!(parsed[3]["proxy"], "passed");
        assert_eq!(parsed[3]["dir"], "client_to_server");
        assert_eq!(parsed[3]["segment"], "fin");
        assert_eq!(
            parsed[4],
            json!({
                "at_us": 9000, "actor": "server sshd[3]", "group": "data_run",
                "kind": "data_run", "dir": "server_to_client", "stream": "stdout",
                "bytes": 30, "messages": 2, "until_us": 12000, "sizes": [10, 20],
                "text": "-> data 30 bytes (stdout, 2 messages until 0.012s)",
            })
        );
    }
}
