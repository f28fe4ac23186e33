//! The pages of an HTML report: one run, a run in both lanes side by side,
//! and the index. Each page stands alone: its style, its pictures and its
//! one small script are inline, and nothing is fetched from anywhere.

use std::fmt::Write;

use hangar_scenario::Scenario;

use super::diagram::{Drawn, Ends, sequence_diagram};
use super::svg::{Svg, escape};
use crate::report::run::outcome_text;
use crate::run::RunResult;
use crate::verdict::Verdict;

/// One run as a page shows it.
pub struct RunView<'a> {
    pub scenario: &'a Scenario,
    /// The target, as reports name it.
    pub label: &'a str,
    pub result: &'a RunResult,
    pub verdict: &'a Verdict,
    /// The command that runs it again.
    pub replay: String,
}

impl RunView<'_> {
    /// `openssh, sim lane, seed 3` or `openssh, real lane`.
    pub(crate) fn run_name(&self) -> String {
        match self.result.lane {
            crate::run::LaneRun::Sim { seed, .. } => {
                format!("{}, sim lane, seed {seed}", self.label)
            }
            crate::run::LaneRun::Real { .. } => format!("{}, real lane", self.label),
        }
    }
}

const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; }
.verdict { display: inline-block; padding: 0 .5em; border-radius: 3px; color: #fff; font-weight: 600; }
.pass { background: #1a7f37; } .fail { background: #cf222e; } .unknown { background: #9a6700; }
.error { background: #6e7781; } .skipped { background: #8c959f; }
table { border-collapse: collapse; } td, th { padding: .2em .7em; border-bottom: 1px solid #d0d7de; text-align: left; }
.lanes { display: flex; gap: 2em; align-items: flex-start; } .lanes > div { flex: 0 0 auto; }
.diagram { overflow-x: auto; } .caption { color: #57606a; font-size: 12px; }
svg text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; fill: #1f2328; }
svg .title { font: 600 12px system-ui, sans-serif; text-anchor: middle; }
svg .time { text-anchor: end; fill: #57606a; }
svg .lifeline { stroke: #8c959f; stroke-dasharray: 4 3; }
svg .bar { stroke: none; fill: #8c959f; } svg .bar.ssh { fill: #0969da; } svg .bar.sshd { fill: #1a7f37; }
svg .bar.alive { fill-opacity: .55; } svg .bar.unseen-end { fill-opacity: .35; stroke: #57606a; stroke-dasharray: 2 2; }
svg .hold { fill-opacity: .45; stroke-width: 1; } svg .hold.stdout { fill: #0969da; stroke: #0969da; }
svg .hold.stderr { fill: #bc4c00; stroke: #bc4c00; } svg .hold.stdin { fill: #8250df; stroke: #8250df; }
svg .arrow line { stroke: #1f2328; stroke-width: 1.2; } svg .arrow text { font-size: 10px; text-anchor: middle; }
svg .arrow.data line { stroke: #0969da; stroke-width: 2.5; } svg .arrow.half line { stroke-dasharray: 5 2; }
svg .arrow.fin line { stroke: #57606a; } svg .arrow.rst line { stroke: #cf222e; stroke-width: 2; }
svg .arrow.rst text { fill: #cf222e; } svg marker path { fill: #1f2328; }
svg .dot { fill: #1f2328; } svg .dot.killed { fill: #cf222e; } svg .dot.stopped { fill: #bf8700; }
svg .harness { stroke: #9a6700; stroke-dasharray: 2 3; }
svg .break { fill: #fff; } svg .zigzag { fill: none; stroke: #8c959f; }
svg .quiet { fill: #57606a; font-style: italic; }
svg .shade.partition { fill: #cf222e; fill-opacity: .12; } svg .shade.crash { fill: #6e7781; fill-opacity: .18; }
svg .row.ssh { fill: #0550ae; } svg .row.sshd { fill: #116329; }
svg .wait rect { fill: #fff8c5; stroke: #9a6700; } svg .wait line { stroke: #9a6700; }
"#;

/// Counts what rendered in each diagram and writes it on the body, so a
/// browser test can compare it with what the diagram says it drew.
const RENDER_CHECK: &str = r#"
(function () {
  function shown(svg, selector) {
    return Array.prototype.filter.call(svg.querySelectorAll(selector), function (e) {
      var r = e.getBoundingClientRect(); return r.width > 0 || r.height > 0;
    }).length;
  }
  var found = [];
  document.querySelectorAll("svg.sequence").forEach(function (svg) {
    var box = svg.getBBox();
    found.push(["size", Math.round(box.width), Math.round(box.height),
      "rows", shown(svg, "text.row"), "arrows", shown(svg, "g.arrow"), "bars", shown(svg, "rect.bar"),
      "holds", shown(svg, "rect.hold"), "breaks", shown(svg, "rect.break"), "shades", shown(svg, "rect.shade")].join(" "));
  });
  document.body.setAttribute("data-rendered", found.join("; "));
})();
"#;

/// A whole page around `body`.
pub(crate) fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n<script>{RENDER_CHECK}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

pub(crate) fn verdict_badge(name: &str) -> String {
    format!(r#"<span class="verdict {name}">{name}</span>"#)
}

/// The page of one run.
pub(crate) fn run_page(view: &RunView, back: &str) -> String {
    let mut body = heading(view.scenario, back);
    body.push_str(&run_section(view));
    document(&format!("{} [{}]", view.scenario.path, view.label), &body)
}

/// The page of one scenario and target in both lanes, side by side, under
/// what the comparison found.
pub(crate) fn pair_page(sim: &RunView, real: &RunView, agreement: &str, back: &str) -> String {
    let mut body = heading(sim.scenario, back);
    let _ = write!(
        body,
        "<p><b>sim against real</b>: {}</p>\n<div class=\"lanes\">\n<div>{}</div>\n<div>{}</div>\n</div>\n",
        escape(agreement),
        run_section(sim),
        run_section(real)
    );
    document(
        &format!("{} [{}] sim and real", sim.scenario.path, sim.label),
        &body,
    )
}

/// The page of one outcome group of `explore`: the group, then its first
/// seed's run.
pub(crate) fn group_page(view: &RunView, group: &str, back: &str) -> String {
    let mut body = heading(view.scenario, back);
    let _ = write!(
        body,
        "<p><b>outcome group</b>: {}</p>\n<p>the group's first seed:</p>\n{}",
        escape(group),
        run_section(view)
    );
    document(
        &format!("{} [{}] {group}", view.scenario.path, view.label),
        &body,
    )
}

fn heading(scenario: &Scenario, back: &str) -> String {
    format!(
        "<p><a href=\"{}\">&larr; all runs</a></p>\n<h1>{}</h1>\n<p>{}</p>\n",
        escape(back),
        escape(&scenario.path),
        escape(&scenario.title)
    )
}

/// A run: verdict, replay, outcome, diagram, screen, what still waited,
/// and the text trace.
fn run_section(view: &RunView) -> String {
    let result = view.result;
    let mut out = format!(
        "<h2>{} {}</h2>\n",
        escape(&view.run_name()),
        verdict_badge(view.verdict.name())
    );
    let details = view.verdict.details();
    if !details.is_empty() {
        out.push_str("<ul>\n");
        for detail in details {
            let _ = writeln!(out, "<li>{}</li>", escape(detail));
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<p>replay: <code>{}</code></p>\n<pre>{}</pre>",
        escape(&view.replay),
        escape(outcome_text(result).trim())
    );
    let ends = Ends {
        all_recorded: matches!(result.lane, crate::run::LaneRun::Sim { .. }),
        survivors: &result.outcome.survivors,
    };
    let diagram = sequence_diagram(&result.events, &ends);
    let _ = writeln!(
        out,
        "<div class=\"diagram\">{}</div>\n<p class=\"caption\">{}</p>",
        diagram.svg,
        escape(&caption(&diagram.drawn))
    );
    if let Some(screen) = &result.outcome.screen {
        let _ = writeln!(
            out,
            "<h2>the terminal at the end</h2>\n<pre class=\"screen\">{}</pre>",
            escape(screen)
        );
    }
    if !result.outcome.waiting.is_empty() {
        let _ = writeln!(
            out,
            "<h2>who waited for whom when the run stopped</h2>\n{}",
            wait_chain(&result.outcome.waiting)
        );
    }
    let _ = writeln!(
        out,
        "<details><summary>text trace</summary><pre>{}</pre></details>",
        escape(&crate::report::trace_text(
            view.scenario,
            result,
            view.verdict
        ))
    );
    out
}

/// The words under a diagram: what it holds, and how to read its time.
fn caption(drawn: &Drawn) -> String {
    let mut words = format!(
        "{} events, {} arrows, {} processes",
        drawn.rows, drawn.arrows, drawn.bars
    );
    if drawn.holds > 0 {
        words.push_str(&format!(
            "; {} pipe(s) held open for sshd, drawn on their holders' bars",
            drawn.holds
        ));
    }
    if drawn.breaks > 0 {
        words.push_str(&format!(
            "; time runs down the page, and {} quiet stretch(es) of 0.1 s or more are cut short (zigzag, with their length)",
            drawn.breaks
        ));
    }
    words.push('.');
    words
}

/// What still waited when the run stopped, as the chain the run's wait
/// graph lists it in: the client first, the processes holding the
/// server's pipes last.
fn wait_chain(waiting: &[String]) -> String {
    const BOX: f64 = 26.0;
    const STEP: f64 = 40.0;
    let width = waiting.iter().map(|w| w.len()).max().unwrap_or(0) as f64 * 6.7 + 24.0;
    let mut svg = Svg::default();
    for (i, line) in waiting.iter().enumerate() {
        let y = i as f64 * STEP;
        svg.rect("", (1.0, y + 1.0), (width - 2.0, BOX), "");
        svg.text("", (10.0, y + 18.0), line);
        if i + 1 < waiting.len() {
            svg.line("", (24.0, y + BOX + 1.0), (24.0, y + STEP + 1.0));
        }
    }
    let height = waiting.len() as f64 * STEP;
    format!(
        "<svg class=\"wait\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\">\n{}</svg>",
        width.ceil(),
        height.ceil(),
        svg.body
    )
}

/// A row of the index.
pub(crate) struct IndexRow {
    /// The page's file name, in the report's directory.
    pub(crate) page: String,
    pub(crate) scenario: String,
    pub(crate) run: String,
    /// `pass`, `fail`, `unknown`, `error`, `agree`, `differ`.
    pub(crate) verdict: String,
    pub(crate) detail: String,
}

/// The index: every run's verdict, each linking to its page.
pub(crate) fn index_page(title: &str, summary: &str, rows: &[IndexRow]) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<table>\n<tr><th>verdict</th><th>scenario</th><th>run</th><th>outcome</th></tr>\n",
        escape(title),
        escape(summary)
    );
    for row in rows {
        let class = match row.verdict.as_str() {
            "agree" => "pass",
            "differ" => "fail",
            other => other,
        };
        let _ = writeln!(
            body,
            "<tr><td><span class=\"verdict {class}\">{}</span></td><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"mono\">{}</td></tr>",
            escape(&row.verdict),
            escape(&row.page),
            escape(&row.scenario),
            escape(&row.run),
            escape(&row.detail)
        );
    }
    body.push_str("</table>\n");
    document(title, &body)
}
