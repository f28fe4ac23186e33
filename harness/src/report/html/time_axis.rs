//! The diagram's vertical axis. Events get one row each, in time order;
//! the quiet stretch between two events becomes a gap whose height grows
//! with the logarithm of its length, and a stretch of a tenth of a second
//! or more is drawn as a break labelled with its length. A 30 s hang and a
//! 5 ms teardown are then both readable on one page: the hang costs a few
//! rows of height, not a screen per second.

use std::time::Duration;

/// Height of one event's row, in pixels.
pub(crate) const ROW: f64 = 18.0;

/// Quiet stretches at least this long are drawn as a labelled break.
pub(crate) const BREAK_FROM: Duration = Duration::from_millis(100);

/// Where each event row sits, and the breaks between rows.
#[derive(Debug)]
pub(crate) struct TimeAxis {
    /// The y of each row's middle, one per event, top to bottom.
    pub(crate) rows: Vec<f64>,
    pub(crate) breaks: Vec<Break>,
    /// The y below the last row.
    pub(crate) bottom: f64,
}

/// A quiet stretch drawn as a break in the axis.
#[derive(Debug, PartialEq)]
pub(crate) struct Break {
    /// Between the row above and the row below.
    pub(crate) top: f64,
    pub(crate) bottom: f64,
    pub(crate) quiet: Duration,
}

/// Extra height for a quiet stretch: nothing under a millisecond, then a
/// few pixels per power of ten of milliseconds.
pub(crate) fn gap_height(quiet: Duration) -> f64 {
    let ms = quiet.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        return 0.0;
    }
    let height = 4.0 + 7.0 * ms.log10();
    if quiet >= BREAK_FROM {
        // Room for the break's zigzag and its label, clear of both rows.
        height.max(30.0)
    } else {
        height
    }
}

impl TimeAxis {
    /// The rows of events at `times` (in order, not decreasing), below `top`.
    pub(crate) fn new(times: &[Duration], top: f64) -> TimeAxis {
        let mut rows = Vec::with_capacity(times.len());
        let mut breaks = Vec::new();
        let mut y = top + ROW / 2.0;
        let mut last: Option<Duration> = None;
        for &at in times {
            if let Some(before) = last {
                let quiet = at.saturating_sub(before);
                let gap = gap_height(quiet);
                if quiet >= BREAK_FROM {
                    breaks.push(Break {
                        top: y + ROW / 2.0 + 5.0,
                        bottom: y + ROW / 2.0 + gap - 5.0,
                        quiet,
                    });
                }
                y += ROW + gap;
            }
            rows.push(y);
            last = Some(at);
        }
        let bottom = if rows.is_empty() { top } else { y + ROW / 2.0 };
        TimeAxis {
            rows,
            breaks,
            bottom,
        }
    }
}

/// `30 s`, `250 ms`: a quiet stretch's length as its break label says it.
pub(crate) fn quiet_text(quiet: Duration) -> String {
    let ms = quiet.as_millis();
    if ms >= 10_000 {
        format!("{:.0} s", quiet.as_secs_f64())
    } else if ms >= 1000 {
        format!("{:.1} s", quiet.as_secs_f64())
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn events_at_one_time_sit_a_row_apart() {
        let axis = TimeAxis::new(&[ms(5), ms(5), ms(5)], 0.0);
        assert_eq!(axis.rows, vec![9.0, 27.0, 45.0]);
        assert!(axis.breaks.is_empty());
        assert_eq!(axis.bottom, 54.0);
    }

    #[test]
    fn a_thirty_second_hang_costs_a_few_rows_and_is_a_labelled_break() {
        let axis = TimeAxis::new(&[ms(60), ms(65), ms(30_060), ms(30_065)], 0.0);
        let teardown = axis.rows[1] - axis.rows[0];
        let hang = axis.rows[2] - axis.rows[1];
        // Both readable: the 5 ms step is more than a bare row, the 30 s
        // hang under four rows more.
        assert!(teardown > ROW && teardown < 2.0 * ROW, "{teardown}");
        assert!(hang > 2.0 * ROW && hang < 5.0 * ROW, "{hang}");
        assert_eq!(axis.breaks.len(), 1);
        assert_eq!(axis.breaks[0].quiet, ms(29_995));
        assert!(axis.breaks[0].top > axis.rows[1] && axis.breaks[0].bottom < axis.rows[2]);
    }

    #[test]
    fn gaps_grow_with_the_length_of_the_quiet() {
        let heights: Vec<f64> = [0, 1, 10, 100, 1000, 86_400_000]
            .into_iter()
            .map(|n| gap_height(ms(n)))
            .collect();
        assert!(heights.windows(2).all(|w| w[0] <= w[1]), "{heights:?}");
        // A simulated day still fits on a screen.
        assert!(heights[5] < 100.0, "{heights:?}");
    }

    #[test]
    fn quiet_stretches_are_labelled_in_the_unit_that_reads() {
        assert_eq!(quiet_text(ms(250)), "250 ms");
        assert_eq!(quiet_text(ms(1500)), "1.5 s");
        assert_eq!(quiet_text(ms(30_000)), "30 s");
        assert_eq!(quiet_text(ms(29_995)), "30 s");
    }
}
