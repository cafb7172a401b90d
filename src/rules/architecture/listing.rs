//! `fortress layers`: what the tool thinks each file is.

use serde::Serialize;

use crate::project::layers::model::Model;
use crate::project::layers::Reason;
use crate::project::Project;

#[derive(Serialize)]
struct Row<'a> {
    path: &'a str,
    modules: &'a [crate::python::name::Name],
    layer: Option<&'a str>,
    reason: Option<String>,
}

fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Pattern(p) => format!("matches `{p}`"),
        Reason::Routes => "creates a router and registers routes on it".to_owned(),
        Reason::RoutesOverName(p) => {
            format!("registers routes (although its name matches `{p}`)")
        }
    }
}

/// The listing, as text or JSON. Files are in the run's order (sorted by path).
pub fn render(project: &Project<'_>, model: &Model, json: bool) -> String {
    let layers = &project.options.layers.layers;
    let rows: Vec<Row<'_>> = project
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let layer = model.layers[i].as_ref();
            Row {
                path: &f.display,
                modules: &project.modules.modules[i].names,
                layer: layer.map(|(l, _)| layers[*l].name.as_str()),
                reason: layer
                    .map(|(_, r)| reason_text(r))
                    .or_else(|| model.unclassified_because[i].clone()),
            }
        })
        .collect();
    if json {
        let mut out = serde_json::to_string_pretty(&rows).unwrap_or_default();
        out.push('\n');
        return out;
    }
    let path_width = rows.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    let module_width = rows
        .iter()
        .map(|r| r.modules.first().map_or(1, |m| m.len()))
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<path_width$}  {:<module_width$}  {:<10}  WHY\n",
        "PATH", "MODULE", "LAYER"
    );
    for r in &rows {
        let module = r.modules.first().map_or("-", |m| m.as_str());
        let mut why = r.reason.clone().unwrap_or_default();
        if r.modules.len() > 1 {
            let also = r.modules[1..].join(", ");
            why = if why.is_empty() {
                format!("(also importable as {also})")
            } else {
                format!("{why} (also importable as {also})")
            };
        }
        out.push_str(
            format!(
                "{:<path_width$}  {:<module_width$}  {:<10}  {why}",
                r.path,
                module,
                r.layer.unwrap_or("-"),
            )
            .trim_end(),
        );
        out.push('\n');
    }
    let ranked: Vec<String> = layers
        .iter()
        .filter(|l| l.rank.is_some())
        .map(|l| {
            if l.closed {
                format!("{} (closed)", l.name)
            } else {
                l.name.clone()
            }
        })
        .collect();
    out.push_str(&format!(
        "\nLayer order, top to bottom: {}\n",
        ranked.join(" > ")
    ));
    let mut counts: Vec<(String, usize)> = layers
        .iter()
        .map(|l| {
            let n = rows
                .iter()
                .filter(|r| r.layer == Some(l.name.as_str()))
                .count();
            (l.name.clone(), n)
        })
        .collect();
    counts.push((
        "unclassified".to_owned(),
        rows.iter().filter(|r| r.layer.is_none()).count(),
    ));
    let counts: Vec<String> = counts.iter().map(|(n, c)| format!("{n} {c}")).collect();
    out.push_str(&format!("Files per layer: {}\n", counts.join(", ")));
    out
}
