//! The sequence diagram of one run, as inline SVG: a lifeline each for the
//! client host's processes, the client's ssh, the network, sshd and the
//! server's processes; process lifetimes as bars, with the pipes a process
//! holds open for sshd drawn on its bar; SSH messages, data totals, FIN and
//! RST as arrows at their times; partitions and crashes shaded; every
//! event's words in a column beside its row. Time runs down the page on
//! the axis of `time_axis.rs`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use hangar_scenario::Host;

use super::arrows::{Flow, Message, Shading, message_of, segment_of, shading_of};
use super::lifelines::{Lifeline, is_process, lifeline_of};
use super::svg::Svg;
use super::time_axis::{ROW, TimeAxis, quiet_text};
use crate::trace::{
    Dir, Event, PipeEvent, ProcessEvent, Segment, Stream, What, event_text, format_time,
};

/// Room above the first row for the lifelines' titles.
const TOP: f64 = 40.0;
/// The time labels' column.
const TIME_WIDTH: f64 = 64.0;
/// Between two processes' bars in one lifeline.
const BAR_SPACING: f64 = 16.0;
/// The ssh, network and sshd lifelines: room for an arrow's words.
const ENDPOINT_WIDTH: f64 = 150.0;
const PROCESSES_WIDTH: f64 = 90.0;
/// A character of the 11px monospace text column, for the page's width.
const CHAR_WIDTH: f64 = 6.7;

/// What a diagram drew, by kind: the page states it on the SVG so a
/// browser test can count what rendered against it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Drawn {
    pub(crate) rows: usize,
    pub(crate) arrows: usize,
    pub(crate) bars: usize,
    pub(crate) holds: usize,
    pub(crate) breaks: usize,
    pub(crate) shades: usize,
}

pub(crate) struct Diagram {
    pub(crate) svg: String,
    pub(crate) drawn: Drawn,
}

/// Where the lifelines and the processes' bars stand.
struct Layout {
    /// Each lifeline's left edge and width.
    columns: BTreeMap<Lifeline, (f64, f64)>,
    /// The x of each process's bar.
    bar_x: HashMap<String, f64>,
    text_x: f64,
}

impl Layout {
    fn new(events: &[&Event]) -> Layout {
        let mut processes: BTreeMap<Lifeline, Vec<&str>> = BTreeMap::new();
        for event in events {
            let lifeline = lifeline_of(&event.actor);
            let list = processes.entry(lifeline).or_default();
            if is_process(&event.actor) && !list.contains(&event.actor.as_str()) {
                list.push(&event.actor);
            }
        }
        let mut columns = BTreeMap::new();
        let mut bar_x = HashMap::new();
        let mut left = TIME_WIDTH;
        for lifeline in Lifeline::DRAWN {
            let bars = processes.get(&lifeline).map_or(&[][..], |l| l.as_slice());
            let least = match lifeline {
                Lifeline::ClientProcesses | Lifeline::ServerProcesses => PROCESSES_WIDTH,
                _ => ENDPOINT_WIDTH,
            };
            let width = least.max(bars.len() as f64 * BAR_SPACING + 30.0);
            let center = left + width / 2.0;
            let first = center - (bars.len().saturating_sub(1)) as f64 * BAR_SPACING / 2.0;
            for (i, actor) in bars.iter().enumerate() {
                bar_x.insert(actor.to_string(), first + i as f64 * BAR_SPACING);
            }
            columns.insert(lifeline, (left, width));
            left += width;
        }
        Layout {
            columns,
            bar_x,
            text_x: left + 16.0,
        }
    }

    fn center(&self, lifeline: Lifeline) -> f64 {
        let (left, width) = self.columns.get(&lifeline).copied().unwrap_or((0.0, 0.0));
        left + width / 2.0
    }

    /// Where an actor's events are drawn: its bar, else its lifeline's middle.
    fn x_of(&self, actor: &str) -> f64 {
        match self.bar_x.get(actor) {
            Some(x) => *x,
            None => self.center(lifeline_of(actor)),
        }
    }

    fn host_span(&self, host: Host) -> (f64, f64) {
        let (first, last) = match host {
            Host::Client => (Lifeline::ClientProcesses, Lifeline::ClientSsh),
            Host::Server => (Lifeline::Sshd, Lifeline::ServerProcesses),
        };
        let (left, _) = self.columns[&first];
        let (last_left, width) = self.columns[&last];
        (left, last_left + width - left)
    }
}

/// What a run knows of its processes' ends. The sim records every exit,
/// so a process without one was alive when the run stopped; the real lane
/// observes processes from outside and can miss an end, so there only the
/// survivors it found are drawn as alive.
pub(crate) struct Ends<'a> {
    pub(crate) all_recorded: bool,
    /// Server processes alive at the end, as `name[pid]`.
    pub(crate) survivors: &'a [String],
}

impl Ends<'_> {
    /// Whether a process that recorded no end was alive when the run stopped.
    fn alive(&self, actor: &str) -> bool {
        let name = actor.split_once(' ').map_or(actor, |(_, name)| name);
        self.all_recorded || self.survivors.iter().any(|s| s == name)
    }
}

/// The diagram of a run's events (in any order: drawn in time order).
pub(crate) fn sequence_diagram(events: &[Event], ends: &Ends) -> Diagram {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by_key(|e| e.at);
    let times: Vec<Duration> = sorted.iter().map(|e| e.at).collect();
    let axis = TimeAxis::new(&times, TOP);
    let layout = Layout::new(&sorted);
    let longest = sorted
        .iter()
        .map(|e| e.actor.len() + event_text(e).len() + 2)
        .max()
        .unwrap_or(0);
    let width = layout.text_x + longest as f64 * CHAR_WIDTH + 16.0;
    let height = axis.bottom + 16.0;

    let mut svg = Svg::default();
    let mut drawn = Drawn {
        rows: sorted.len(),
        ..Drawn::default()
    };
    draw_shades(&mut svg, &mut drawn, &sorted, &axis, &layout);
    draw_lifelines(&mut svg, &layout, axis.bottom);
    draw_breaks(&mut svg, &mut drawn, &axis, &layout);
    let bars = draw_bars(&mut svg, &mut drawn, &sorted, &axis, &layout, ends);
    draw_holds(&mut svg, &mut drawn, &sorted, &axis, &layout, &bars);
    draw_messages(&mut svg, &mut drawn, &sorted, &axis, &layout);
    draw_rows(&mut svg, &sorted, &axis, &layout);

    let svg = format!(
        concat!(
            r#"<svg class="sequence" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" "#,
            r#"data-rows="{rows}" data-arrows="{arrows}" data-bars="{bars}" data-holds="{holds}" data-breaks="{breaks}" data-shades="{shades}">"#,
            "\n<defs><marker id=\"head\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerUnits=\"userSpaceOnUse\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\"/></marker></defs>\n",
            "{body}</svg>"
        ),
        w = width.ceil(),
        h = height.ceil(),
        rows = drawn.rows,
        arrows = drawn.arrows,
        bars = drawn.bars,
        holds = drawn.holds,
        breaks = drawn.breaks,
        shades = drawn.shades,
        body = svg.body
    );
    Diagram { svg, drawn }
}

fn draw_lifelines(svg: &mut Svg, layout: &Layout, bottom: f64) {
    for lifeline in Lifeline::DRAWN {
        let x = layout.center(lifeline);
        svg.text("title", (x, 16.0), lifeline.title());
        svg.line("lifeline", (x, 24.0), (x, bottom));
    }
}

/// Partitions over the network's lifeline, crashes over the host's.
fn draw_shades(
    svg: &mut Svg,
    drawn: &mut Drawn,
    events: &[&Event],
    axis: &TimeAxis,
    layout: &Layout,
) {
    let mut partition: Option<f64> = None;
    let mut crashed: BTreeMap<Host, f64> = BTreeMap::new();
    let top_of = |row: usize| axis.rows[row] - ROW / 2.0;
    let mut shade =
        |svg: &mut Svg, class: &str, span: (f64, f64), from: f64, to: f64, title: &str| {
            svg.rect(class, (span.0, from), (span.1, to - from), title);
            drawn.shades += 1;
        };
    let net = layout.columns[&Lifeline::Net];
    for (row, event) in events.iter().enumerate() {
        match shading_of(event) {
            Some(Shading::PartitionStarts) => {
                partition.get_or_insert(top_of(row));
            }
            Some(Shading::PartitionEnds) => {
                if let Some(from) = partition.take() {
                    shade(
                        svg,
                        "shade partition",
                        net,
                        from,
                        top_of(row),
                        "partitioned",
                    );
                }
            }
            Some(Shading::CrashStarts(host)) => {
                crashed.entry(host).or_insert(top_of(row));
            }
            Some(Shading::CrashEnds(host)) => {
                if let Some(from) = crashed.remove(&host) {
                    let title = format!("the {host} host is down");
                    shade(
                        svg,
                        "shade crash",
                        layout.host_span(host),
                        from,
                        top_of(row),
                        &title,
                    );
                }
            }
            None => {}
        }
    }
    if let Some(from) = partition {
        shade(
            svg,
            "shade partition",
            net,
            from,
            axis.bottom,
            "partitioned to the end",
        );
    }
    for (host, from) in crashed {
        let title = format!("the {host} host is down to the end");
        shade(
            svg,
            "shade crash",
            layout.host_span(host),
            from,
            axis.bottom,
            &title,
        );
    }
}

/// A zigzag across the diagram where the axis skips a quiet stretch.
fn draw_breaks(svg: &mut Svg, drawn: &mut Drawn, axis: &TimeAxis, layout: &Layout) {
    for quiet in &axis.breaks {
        let middle = (quiet.top + quiet.bottom) / 2.0;
        svg.rect(
            "break",
            (0.0, quiet.top),
            (layout.text_x - 8.0, quiet.bottom - quiet.top),
            "",
        );
        for edge in [quiet.top, quiet.bottom] {
            let points: Vec<(f64, f64)> = (0..=((layout.text_x - 8.0) / 8.0) as usize)
                .map(|i| (i as f64 * 8.0, edge + if i % 2 == 0 { -2.0 } else { 2.0 }))
                .collect();
            svg.polyline("zigzag", &points);
        }
        svg.text(
            "quiet",
            (layout.text_x, middle + 4.0),
            &format!("{} pass", quiet_text(quiet.quiet)),
        );
        drawn.breaks += 1;
    }
}

/// Whether an event ends its actor's process.
fn ends_process(event: &Event) -> bool {
    matches!(
        event.what,
        What::Process(
            ProcessEvent::Exited { .. }
                | ProcessEvent::Killed { .. }
                | ProcessEvent::Vanished
                | ProcessEvent::Ended
        )
    )
}

/// Each process's bar from its first event to its end (to the bottom for a
/// process still alive when the run stopped); returns where each bar ends.
fn draw_bars(
    svg: &mut Svg,
    drawn: &mut Drawn,
    events: &[&Event],
    axis: &TimeAxis,
    layout: &Layout,
    ends: &Ends,
) -> HashMap<String, f64> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut last: HashMap<&str, usize> = HashMap::new();
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for (row, event) in events.iter().enumerate() {
        if !is_process(&event.actor) {
            continue;
        }
        first.entry(&event.actor).or_insert(row);
        latest.insert(&event.actor, row);
        if ends_process(event) {
            last.entry(&event.actor).or_insert(row);
        }
    }
    let mut bar_ends = HashMap::new();
    let mut by_row: Vec<(&str, usize)> = first.into_iter().collect();
    by_row.sort_by_key(|(_, row)| *row);
    for (actor, start) in by_row {
        let x = layout.x_of(actor);
        let top = axis.rows[start] - 4.0;
        let (bottom, class, title) = match last.get(actor) {
            Some(&end) => (axis.rows[end], "bar", actor.to_string()),
            None if ends.alive(actor) => (
                axis.bottom,
                "bar alive",
                format!("{actor}: alive when the run stopped"),
            ),
            // Drawn to its last event, open-ended.
            None => (
                axis.rows[latest[actor]] + 4.0,
                "bar unseen-end",
                format!("{actor}: its end was not observed"),
            ),
        };
        let class = format!("{class} {}", lifeline_class(lifeline_of(actor)));
        svg.rect(&class, (x - 3.0, top), (6.0, bottom - top), &title);
        bar_ends.insert(actor.to_string(), bottom);
        drawn.bars += 1;
    }
    bar_ends
}

fn lifeline_class(lifeline: Lifeline) -> &'static str {
    match lifeline {
        Lifeline::ClientSsh => "ssh",
        Lifeline::Sshd => "sshd",
        _ => "process",
    }
}

/// The pipes sshd waits on, drawn on the bars of the processes that hold
/// them open, from when sshd says so to the holder's end.
fn draw_holds(
    svg: &mut Svg,
    drawn: &mut Drawn,
    events: &[&Event],
    axis: &TimeAxis,
    layout: &Layout,
    bar_ends: &HashMap<String, f64>,
) {
    for (row, event) in events.iter().enumerate() {
        let What::Pipe(PipeEvent::HeldBy { stream, holders }) = &event.what else {
            continue;
        };
        for holder in holders {
            let (actor, fd) = holder.split_once(" (").unwrap_or((holder, ""));
            let Some(&end) = bar_ends.get(actor) else {
                continue;
            };
            let x = layout.x_of(actor);
            let top = axis.rows[row];
            let title = format!(
                "{actor} holds the session's {} pipe open ({}",
                stream.name(),
                if fd.is_empty() { "fd ?)" } else { fd }
            );
            // stdout on the bar's left, stderr on its right: a job holding
            // both shows both.
            let left = match stream {
                Stream::Stderr => x,
                _ => x - 5.0,
            };
            let class = format!("hold {}", stream.name());
            svg.rect(&class, (left, top), (5.0, (end - top).max(2.0)), &title);
            drawn.holds += 1;
        }
    }
}

/// SSH messages paired sender to receiver where both ends are in the
/// trace, half arrows to or from the network where one end is (the real
/// lane sees only its client's side); FIN and RST across.
fn draw_messages(
    svg: &mut Svg,
    drawn: &mut Drawn,
    events: &[&Event],
    axis: &TimeAxis,
    layout: &Layout,
) {
    let net = layout.center(Lifeline::Net);
    // Each event's message, worked out once for both passes: only the SSH
    // endpoints' events are messages.
    let messages: Vec<Option<(Lifeline, Message)>> = events
        .iter()
        .map(|event| {
            let lifeline = lifeline_of(&event.actor);
            lifeline.peer()?;
            message_of(event, lifeline).map(|m| (lifeline, m))
        })
        .collect();
    let mut waiting: HashMap<(Lifeline, &str), VecDeque<usize>> = HashMap::new();
    let mut paired: HashMap<usize, usize> = HashMap::new();
    let mut received_alone: HashSet<usize> = HashSet::new();
    for (row, found) in messages.iter().enumerate() {
        let Some((lifeline, message)) = found else {
            continue;
        };
        if message.data {
            continue;
        }
        match message.flow {
            Flow::Sent => waiting
                .entry((*lifeline, &message.label))
                .or_default()
                .push_back(row),
            Flow::Received => {
                let sender = lifeline.peer().unwrap_or(Lifeline::Net);
                match waiting
                    .get_mut(&(sender, message.label.as_str()))
                    .and_then(VecDeque::pop_front)
                {
                    Some(sent) => {
                        paired.insert(sent, row);
                    }
                    None => {
                        received_alone.insert(row);
                    }
                }
            }
        }
    }
    for (row, event) in events.iter().enumerate() {
        let y = axis.rows[row];
        if let Some((dir, segment)) = segment_of(event) {
            let (from, to) = match dir {
                Dir::ClientToServer => (Lifeline::ClientSsh, Lifeline::Sshd),
                Dir::ServerToClient => (Lifeline::Sshd, Lifeline::ClientSsh),
            };
            let (class, label) = match segment {
                Segment::Fin => ("fin", "FIN"),
                Segment::Rst => ("rst", "RST"),
            };
            svg.arrow(
                class,
                (layout.center(from), y),
                (layout.center(to), y),
                label,
            );
            drawn.arrows += 1;
            continue;
        }
        let Some((_, message)) = &messages[row] else {
            continue;
        };
        let x = layout.x_of(&event.actor);
        let class = if message.data { "data" } else { "ssh" };
        match message.flow {
            Flow::Sent => match paired.get(&row) {
                Some(&to) => {
                    let receiver = layout.x_of(&events[to].actor);
                    svg.arrow(class, (x, y), (receiver, axis.rows[to]), &message.label);
                }
                None => svg.arrow(&format!("{class} half"), (x, y), (net, y), &message.label),
            },
            Flow::Received if message.data || received_alone.contains(&row) => {
                svg.arrow(&format!("{class} half"), (net, y), (x, y), &message.label);
            }
            // Drawn with its sender.
            Flow::Received => continue,
        }
        drawn.arrows += 1;
    }
}

/// Each event's dot on its lifeline, its time where the time changes, and
/// its words in the text column.
fn draw_rows(svg: &mut Svg, events: &[&Event], axis: &TimeAxis, layout: &Layout) {
    let mut last_time: Option<Duration> = None;
    for (row, event) in events.iter().enumerate() {
        let y = axis.rows[row];
        if last_time != Some(event.at) {
            svg.text("time", (TIME_WIDTH - 6.0, y + 4.0), &format_time(event.at));
            last_time = Some(event.at);
        }
        let lifeline = lifeline_of(&event.actor);
        if lifeline == Lifeline::Harness {
            svg.line("harness", (TIME_WIDTH, y), (layout.text_x - 8.0, y));
        } else {
            let class = match &event.what {
                What::Process(ProcessEvent::Killed { .. }) => "dot killed",
                What::Process(ProcessEvent::Stopped { .. }) => "dot stopped",
                _ => "dot",
            };
            svg.circle(class, (layout.x_of(&event.actor), y), 2.5);
        }
        let words = format!("{}  {}", event.actor, event_text(event));
        svg.text(
            &format!("row {}", lifeline_class(lifeline)),
            (layout.text_x, y + 4.0),
            &words,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{EofCause, HarnessEvent, SshEvent, TcpEvent, Way};

    fn at(ms: u64, actor: &str, what: impl Into<What>) -> Event {
        Event {
            at: Duration::from_millis(ms),
            actor: actor.into(),
            what: what.into(),
        }
    }

    /// The background job's hang: sshd waits 30 s on pipes a sleep holds.
    fn background_job() -> Vec<Event> {
        let started = |parent: &str| ProcessEvent::Started {
            parent: parent.into(),
        };
        vec![
            at(0, "client ssh[3]", started("client sh[2]")),
            at(5, "server sshd[3]", started("server sshd[2]")),
            at(
                55,
                "client ssh[3]",
                SshEvent::Eof {
                    way: Way::Sent,
                    cause: EofCause::EndOfStdin,
                },
            ),
            at(
                60,
                "server sshd[3]",
                SshEvent::Eof {
                    way: Way::Received,
                    cause: EofCause::ClosesChildStdin,
                },
            ),
            at(60, "server sleep[5]", started("server sh[4]")),
            at(
                60,
                "server sshd[3]",
                PipeEvent::HeldBy {
                    stream: Stream::Stdout,
                    holders: vec!["server sleep[5] (fd 1)".into()],
                },
            ),
            at(
                60,
                "server sshd[3]",
                SshEvent::ExitStatus {
                    way: Way::Sent,
                    code: 0,
                },
            ),
            at(
                65,
                "client ssh[3]",
                SshEvent::ExitStatus {
                    way: Way::Received,
                    code: 0,
                },
            ),
            at(30_060, "server sleep[5]", ProcessEvent::Exited { code: 0 }),
            at(
                30_060,
                "server sshd[3]",
                SshEvent::Close {
                    way: Way::Sent,
                    answer: false,
                },
            ),
            at(30_065, "client ssh[3]", ProcessEvent::Exited { code: 0 }),
            at(
                30_065,
                "net",
                TcpEvent::Segment {
                    port: 49152,
                    dir: Dir::ClientToServer,
                    segment: Segment::Fin,
                },
            ),
        ]
    }

    const SIM: Ends = Ends {
        all_recorded: true,
        survivors: &[],
    };

    #[test]
    fn a_real_process_whose_end_went_unseen_is_not_drawn_alive() {
        let events = vec![
            at(
                0,
                "client ssh[7614]",
                ProcessEvent::Started {
                    parent: "client sh[7611]".into(),
                },
            ),
            at(
                5,
                "server sleep[9]",
                ProcessEvent::Started {
                    parent: "server bash[8]".into(),
                },
            ),
            at(
                240,
                "client",
                HarnessEvent::CommandLineExit { n: 1, code: 0 },
            ),
        ];
        let real = Ends {
            all_recorded: false,
            survivors: &["sleep[9]".to_string()],
        };
        let svg = sequence_diagram(&events, &real).svg;
        assert!(
            svg.contains("client ssh[7614]: its end was not observed"),
            "{svg}"
        );
        assert!(
            svg.contains("server sleep[9]: alive when the run stopped"),
            "{svg}"
        );
    }

    #[test]
    fn the_background_job_hang_draws_its_messages_bars_hold_and_break() {
        let diagram = sequence_diagram(&background_job(), &SIM);
        assert_eq!(
            diagram.drawn,
            Drawn {
                rows: 12,
                // EOF and exit-status paired, CLOSE unanswered, the FIN.
                arrows: 4,
                bars: 3,
                holds: 1,
                breaks: 1,
                shades: 0,
            }
        );
        let svg = &diagram.svg;
        assert!(svg.contains(r#"data-arrows="4""#), "{svg}");
        assert!(svg.contains("30 s pass"), "{svg}");
        assert!(
            svg.contains("server sleep[5] holds the session&#39;s stdout pipe open (fd 1)"),
            "{svg}"
        );
        // sshd never exits in this trace: its bar runs to the end.
        assert!(
            svg.contains("server sshd[3]: alive when the run stopped"),
            "{svg}"
        );
    }

    #[test]
    fn a_partition_is_shaded_until_it_heals_and_a_crash_to_the_end() {
        use hangar_scenario::NetFault;
        let events = vec![
            at(
                0,
                "net",
                TcpEvent::Fault {
                    fault: NetFault::Partition,
                },
            ),
            at(
                1000,
                "net",
                TcpEvent::Fault {
                    fault: NetFault::Heal,
                },
            ),
            at(
                2000,
                "net",
                TcpEvent::Fault {
                    fault: NetFault::Crash(Host::Server),
                },
            ),
        ];
        let diagram = sequence_diagram(&events, &SIM);
        assert_eq!(diagram.drawn.shades, 2);
        assert!(diagram.svg.contains("the server host is down to the end"));
    }

    #[test]
    fn the_same_events_draw_the_same_bytes() {
        assert_eq!(
            sequence_diagram(&background_job(), &SIM).svg,
            sequence_diagram(&background_job(), &SIM).svg
        );
    }
}
