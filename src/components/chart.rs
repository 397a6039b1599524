//! A small bar chart drawn as inline SVG by us (no chart library, no CDN): one bar per value,
//! each with a tooltip, scaled to the largest value.

use leptos::prelude::*;

/// The drawing's size in SVG units (it scales to its container).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
/// Room at the bottom for the first and last labels.
const AXIS: f64 = 18.0;
const GAP: f64 = 2.0;

/// One bar's rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Rectangles for `values` across a `width` × `height` area: equal widths, heights in
/// proportion to the largest value (all zero: no height), bottoms on the baseline.
pub fn bars(values: &[i64], width: f64, height: f64) -> Vec<Bar> {
    let slot = width / values.len().max(1) as f64;
    let top = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let h = height * v.max(0) as f64 / top;
            Bar {
                x: i as f64 * slot + GAP / 2.0,
                y: height - h,
                width: (slot - GAP).max(1.0),
                height: h,
            }
        })
        .collect()
}

/// A bar chart of `points` (label, value), described for screen readers by `title` and a
/// summary of the figures.
#[component]
pub fn BarChart(
    #[prop(into)] title: String,
    /// What one unit is called, for the tooltips ("articles").
    unit: &'static str,
    points: Vec<(String, i64)>,
) -> impl IntoView {
    let values: Vec<i64> = points.iter().map(|(_, v)| *v).collect();
    let total: i64 = values.iter().sum();
    let peak = values.iter().copied().max().unwrap_or(0);
    let plot = HEIGHT - AXIS;
    let rects = bars(&values, WIDTH, plot)
        .into_iter()
        .zip(points.iter())
        .map(|(bar, (label, value))| {
            let tip = format!("{label}: {value} {unit}");
            view! {
                <rect
                    x=format!("{:.1}", bar.x)
                    y=format!("{:.1}", bar.y)
                    width=format!("{:.1}", bar.width)
                    height=format!("{:.1}", bar.height)
                >
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect_view();
    let first = points.first().map(|(l, _)| l.clone()).unwrap_or_default();
    let last = points.last().map(|(l, _)| l.clone()).unwrap_or_default();
    let summary = format!("{title}: {total} {unit} in all, at most {peak} in one day");
    view! {
        <figure class="bar-chart">
            <figcaption>{title}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label=summary
                preserveAspectRatio="none"
            >
                <line class="baseline" x1="0" y1=plot x2=WIDTH y2=plot />
                <g class="bars">{rects}</g>
                <text class="label" x="0" y=HEIGHT - 4.0>{first}</text>
                <text class="label end" x=WIDTH y=HEIGHT - 4.0 text-anchor="end">{last}</text>
                <text class="label" x="4" y="12">{format!("max {peak}")}</text>
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_are_proportional_to_the_largest_value() {
        let drawn = bars(&[0, 5, 10], 300.0, 100.0);
        assert_eq!(drawn.len(), 3);
        assert_eq!(drawn[0].height, 0.0);
        assert_eq!(drawn[1].height, 50.0);
        assert_eq!(drawn[2].height, 100.0);
        // Bottoms on the baseline, left to right, inside the area.
        assert!(drawn.iter().all(|b| (b.y + b.height - 100.0).abs() < 1e-9));
        assert!(drawn[0].x < drawn[1].x && drawn[2].x + drawn[2].width <= 300.0);
    }

    #[test]
    fn all_zero_or_no_values_draw_nothing_tall() {
        assert!(bars(&[0, 0], 100.0, 50.0).iter().all(|b| b.height == 0.0));
        assert!(bars(&[], 100.0, 50.0).is_empty());
    }
}
