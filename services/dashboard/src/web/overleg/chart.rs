//! The quarter's charts as SVG documents, drawn on the server by plotters (its SVG backend only:
//! no fonts, no bitmaps; docs/overleg.md says why this crate). Horizontal bars, one per figure, its
//! number at its end; a hidden figure gets no bar, only the word "verborgen", so nobody reads a
//! length off a hidden count. The SVG carries a title and description, and the page shows it with
//! an `alt` text and the same figures in a table behind it.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::Figure;
use super::view::count_text;

/// The bars' colours: each at least 3:1 against the white background (WCAG 2.1, 1.4.11), and
/// told apart by their place in each group as well as by colour (a legend names them in order).
pub const SERIES_COLOURS: [RGBColor; 4] = [
    RGBColor(0x1f, 0x4e, 0x79),
    RGBColor(0x2e, 0x6b, 0x30),
    RGBColor(0x8a, 0x4b, 0x08),
    RGBColor(0x6a, 0x1b, 0x9a),
];
const TEXT: RGBColor = RGBColor(0x1b, 0x1b, 0x1b);
const HIDDEN_TEXT: RGBColor = RGBColor(0x4a, 0x4a, 0x4a);
const GRID: RGBColor = RGBColor(0xd0, 0xd0, 0xd0);

const WIDTH: u32 = 760;
const BAR_SLOT: u32 = 26;

/// One group of bars: a step of the funnel, or a value of the breakdown with its four steps.
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub values: Vec<Figure>,
}

/// What a chart shows.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Its name in addresses and ids (`trechter`, `indeling`): ids stay unique when a report
    /// holds several charts inline.
    pub key: &'static str,
    /// The title, inside the image and as its SVG `<title>`.
    pub title: String,
    /// A description in words (the SVG's `<desc>`, and the page's `alt`).
    pub description: String,
    /// The names of the bars in each group (a legend when more than one).
    pub series: Vec<String>,
    pub groups: Vec<Group>,
    /// The axis's name ("aantal kinderen").
    pub unit: String,
}

/// plotters' SVG backend writes a text's size as its estimate of the em: this is the size to ask
/// for to get `pixels` high text.
fn font_size(pixels: f64) -> f64 {
    pixels * 1.24 * 1.24
}

fn font(pixels: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, font_size(pixels), FontStyle::Normal)
}

/// A label no wider than the label area.
fn short(label: &str) -> String {
    const MAX: usize = 22;
    if label.chars().count() <= MAX {
        label.to_owned()
    } else {
        let mut text: String = label.chars().take(MAX - 1).collect();
        text.push('…');
        text
    }
}

/// Escapes text for an SVG element or attribute.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl BarChart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, String> {
        let per_group = self.series.len().max(1) as u32;
        // A group of several bars is followed by an empty slot, to keep groups apart.
        let slots_per_group = if per_group > 1 {
            per_group + 1
        } else {
            per_group
        };
        let slots = (self.groups.len() as u32 * slots_per_group).max(1);
        let legend = if self.series.len() > 1 { 28 } else { 0 };
        let top = 40 + legend;
        let height = top + slots * BAR_SLOT + 56;
        let largest = self
            .groups
            .iter()
            .flat_map(|group| group.values.iter())
            .filter_map(|figure| figure.value())
            .fold(0.0_f64, f64::max);
        // Room beyond the longest bar for its number.
        let x_max = ((largest * 1.2).ceil() as i64).max(5);

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|error| error.to_string())?;
            let (head, body) = root.split_vertically(top);
            head.draw(&Text::new(
                self.title.clone(),
                (10, 10),
                font(17.0).color(&TEXT),
            ))
            .map_err(|error| error.to_string())?;
            if self.series.len() > 1 {
                let mut x = 10;
                for (index, name) in self.series.iter().enumerate() {
                    let colour = SERIES_COLOURS[index % SERIES_COLOURS.len()];
                    head.draw(&Rectangle::new([(x, 40), (x + 14, 54)], colour.filled()))
                        .map_err(|error| error.to_string())?;
                    head.draw(&Text::new(
                        name.clone(),
                        (x + 20, 47),
                        font(13.0)
                            .color(&TEXT)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .map_err(|error| error.to_string())?;
                    x += 36 + 9 * name.chars().count() as i32;
                }
            }

            let labels: Vec<(u32, String)> = self
                .groups
                .iter()
                .enumerate()
                .map(|(index, group)| {
                    // The group's name beside its first bar.
                    let slot = index as u32 * slots_per_group;
                    (slots - 1 - slot, short(&group.label))
                })
                .collect();
            let mut chart = ChartBuilder::on(&body)
                .margin_left(10)
                .margin_right(20)
                .x_label_area_size(48)
                .y_label_area_size(190)
                // A segmented range has a segment for its end as well: `0..slots - 1` has `slots`.
                .build_cartesian_2d(0_i64..x_max, (0_u32..slots - 1).into_segmented())
                .map_err(|error| error.to_string())?;
            let label_of = |value: &SegmentValue<u32>| match value {
                SegmentValue::CenterOf(slot) => labels
                    .iter()
                    .find(|(at, _)| at == slot)
                    .map(|(_, label)| label.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let whole = |value: &i64| value.to_string();
            chart
                .configure_mesh()
                .disable_y_mesh()
                .disable_x_mesh()
                .bold_line_style(GRID)
                .y_labels(slots as usize)
                .y_label_formatter(&label_of)
                .x_labels(6)
                .x_label_formatter(&whole)
                .label_style(font(13.0).color(&TEXT))
                .axis_desc_style(font(13.0).color(&TEXT))
                .x_desc(self.unit.as_str())
                .axis_style(TEXT)
                .draw()
                .map_err(|error| error.to_string())?;

            for (index, group) in self.groups.iter().enumerate() {
                for (position, figure) in group.values.iter().enumerate() {
                    let slot = slots - 1 - (index as u32 * slots_per_group + position as u32);
                    let colour = SERIES_COLOURS[position % SERIES_COLOURS.len()];
                    if let Some(value) = figure.value() {
                        let length = value.round() as i64;
                        if length > 0 {
                            let mut bar = Rectangle::new(
                                [
                                    (0, SegmentValue::Exact(slot)),
                                    (length, SegmentValue::Exact(slot + 1)),
                                ],
                                colour.filled(),
                            );
                            bar.set_margin(4, 4, 0, 0);
                            chart
                                .draw_series(std::iter::once(bar))
                                .map_err(|error| error.to_string())?;
                        }
                        let label = EmptyElement::at((length, SegmentValue::CenterOf(slot)))
                            + Text::new(
                                count_text(*figure),
                                (6, 0),
                                font(13.0)
                                    .color(&TEXT)
                                    .pos(Pos::new(HPos::Left, VPos::Center)),
                            );
                        chart
                            .draw_series(std::iter::once(label))
                            .map_err(|error| error.to_string())?;
                    } else {
                        let label = EmptyElement::at((0, SegmentValue::CenterOf(slot)))
                            + Text::new(
                                count_text(*figure),
                                (6, 0),
                                FontDesc::new(
                                    FontFamily::SansSerif,
                                    font_size(13.0),
                                    FontStyle::Italic,
                                )
                                .color(&HIDDEN_TEXT)
                                .pos(Pos::new(HPos::Left, VPos::Center)),
                            );
                        chart
                            .draw_series(std::iter::once(label))
                            .map_err(|error| error.to_string())?;
                    }
                }
            }
            root.present().map_err(|error| error.to_string())?;
        }
        Ok(self.accessible(&svg))
    }

    /// Names the image for assistive technology: `role="img"`, a `<title>` and a `<desc>`, in
    /// Dutch.
    fn accessible(&self, svg: &str) -> String {
        let key = self.key;
        let head = format!(
            "<svg role=\"img\" aria-labelledby=\"grafiek-{key}-titel grafiek-{key}-beschrijving\" xml:lang=\"nl\" "
        );
        let Some(rest) = svg.strip_prefix("<svg ") else {
            return svg.to_owned();
        };
        let Some(end) = rest.find('>') else {
            return svg.to_owned();
        };
        format!(
            "{head}{}><title id=\"grafiek-{key}-titel\">{}</title><desc id=\"grafiek-{key}-beschrijving\">{}</desc>{}",
            &rest[..end],
            xml(&self.title),
            xml(&self.description),
            &rest[end + 1..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::layout::contrast;

    fn chart() -> BarChart {
        BarChart {
            key: "trechter",
            title: "Trechter 2026-K4".into(),
            description: "Gesignaleerd 40, bediend verborgen".into(),
            series: vec!["Kinderen".into()],
            groups: vec![
                Group {
                    label: "Gesignaleerd".into(),
                    values: vec![Figure::Shown(40.0)],
                },
                Group {
                    label: "Aangevraagd".into(),
                    values: vec![Figure::Shown(0.0)],
                },
                Group {
                    label: "Bediend".into(),
                    values: vec![Figure::Hidden],
                },
            ],
            unit: "aantal kinderen".into(),
        }
    }

    #[test]
    fn a_hidden_figure_gets_no_bar_only_the_word() {
        let svg = chart().svg().unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..200]);
        assert!(svg.contains("<title id=\"grafiek-trechter-titel\">Trechter 2026-K4</title>"));
        assert!(svg.contains(">\nverborgen\n<") || svg.contains(">verborgen<"));
        assert!(svg.contains("Gesignaleerd") && svg.contains("Bediend"));
        // One bar: 40 is drawn; 0 and the hidden figure are not.
        let bars = svg.matches("fill=\"#1F4E79\"").count();
        assert_eq!(bars, 1, "{svg}");
        // No inline style: the pages' CSP allows none, and the SVG needs none.
        assert!(!svg.contains(" style="));
    }

    #[test]
    fn the_bar_colours_stand_out_against_white() {
        for colour in SERIES_COLOURS {
            let hex = format!("#{:02x}{:02x}{:02x}", colour.0, colour.1, colour.2);
            assert!(contrast(&hex, "#ffffff") >= 3.0, "{hex}");
        }
        assert!(contrast("#4a4a4a", "#ffffff") >= 4.5);
    }

    #[test]
    fn text_in_a_chart_is_escaped() {
        let mut chart = chart();
        chart.title = "A & B <c>".into();
        chart.groups[0].label = "Jeugdfonds Sport & Cultuur".into();
        let svg = chart.svg().unwrap();
        assert!(svg.contains("A &amp; B &lt;c&gt;"));
        assert!(!svg.contains("Sport & Cultuur"));
    }
}
