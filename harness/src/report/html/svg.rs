//! A little SVG and HTML writing: escaping, and the elements the diagrams
//! use, with coordinates rounded to a tenth of a pixel so pages are stable.

use std::fmt::Write;

/// Text as it may stand in HTML or SVG text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (a terminal's escapes) are not XML.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An SVG document being written.
#[derive(Default)]
pub(crate) struct Svg {
    pub(crate) body: String,
}

fn n(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    format!("{rounded}")
}

impl Svg {
    pub(crate) fn line(&mut self, class: &str, from: (f64, f64), to: (f64, f64)) {
        let _ = writeln!(
            self.body,
            r#"<line class="{class}" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            n(from.0),
            n(from.1),
            n(to.0),
            n(to.1)
        );
    }

    /// A rectangle, with a tooltip when `title` is not empty.
    pub(crate) fn rect(&mut self, class: &str, at: (f64, f64), size: (f64, f64), title: &str) {
        let _ = write!(
            self.body,
            r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}""#,
            n(at.0),
            n(at.1),
            n(size.0.max(0.0)),
            n(size.1.max(0.0))
        );
        if title.is_empty() {
            self.body.push_str("/>\n");
        } else {
            let _ = writeln!(self.body, "><title>{}</title></rect>", escape(title));
        }
    }

    pub(crate) fn text(&mut self, class: &str, at: (f64, f64), text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text class="{class}" x="{}" y="{}">{}</text>"#,
            n(at.0),
            n(at.1),
            escape(text)
        );
    }

    pub(crate) fn circle(&mut self, class: &str, at: (f64, f64), r: f64) {
        let _ = writeln!(
            self.body,
            r#"<circle class="{class}" cx="{}" cy="{}" r="{}"/>"#,
            n(at.0),
            n(at.1),
            n(r)
        );
    }

    /// A polyline through `points`.
    pub(crate) fn polyline(&mut self, class: &str, points: &[(f64, f64)]) {
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = writeln!(
            self.body,
            r#"<polyline class="{class}" points="{}"/>"#,
            points.join(" ")
        );
    }

    /// An arrow with its words above its middle.
    pub(crate) fn arrow(&mut self, class: &str, from: (f64, f64), to: (f64, f64), label: &str) {
        let _ = writeln!(
            self.body,
            r#"<g class="arrow {class}"><line x1="{}" y1="{}" x2="{}" y2="{}" marker-end="url(#head)"/><text x="{}" y="{}">{}</text></g>"#,
            n(from.0),
            n(from.1),
            n(to.0),
            n(to.1),
            n((from.0 + to.0) / 2.0),
            n((from.1 + to.1) / 2.0 - 3.0),
            escape(label)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_terminal_escapes_do_not_reach_the_page() {
        assert_eq!(
            escape("<b> & \"x\" 'y'\u{1b}[0m"),
            "&lt;b&gt; &amp; &quot;x&quot; &#39;y&#39;\\u{1b}[0m"
        );
    }

    #[test]
    fn coordinates_are_rounded_to_a_tenth() {
        let mut svg = Svg::default();
        svg.circle("dot", (1.04, 2.26), 3.0);
        assert_eq!(
            svg.body,
            "<circle class=\"dot\" cx=\"1\" cy=\"2.3\" r=\"3\"/>\n"
        );
    }
}
