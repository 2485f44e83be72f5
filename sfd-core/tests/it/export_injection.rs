//! Exports that must not attack their reader (issue 22): a CSV cell never
//! starts a spreadsheet formula, as Python's `csv` module reads it, and a
//! Fountain script carries no live markup from the drama's text.

use sfd_core::export::{fountain, shot_list};
use sfd_core::{Asset, AssetKind, Drama, Episode, Scene};

const HOSTILE: [&str; 7] = [
    "=HYPERLINK(\"https://evil.example\",\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "a /* hidden */ note [[secret]] with *bold* and _under_",
];

fn hostile_drama() -> Drama {
    let mut d = Drama::new("drama_inj1", "=cmd()", "desc", "premise");
    let mut ep = Episode::new("ep1", "*Pilot* /* x", "synopsis");
    let mut sc = Scene::new("ep1-sc1", HOSTILE[6]);
    sc.assets = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, p)| Asset::new(format!("a{i}"), AssetKind::Image, *p))
        .collect();
    sc.assets[0].url = Some("=IMPORTXML(\"x\")".into());
    ep.scenes.push(sc);
    d.episodes.push(ep);
    d
}

#[test]
fn csv_cells_read_by_python_never_start_a_formula() {
    let csv = shot_list(&hostile_drama(), 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shots.csv");
    std::fs::write(&path, &csv).unwrap();
    let script = "import csv, json, sys\n\
                  with open(sys.argv[1], newline='') as f:\n    \
                  print(json.dumps([c for row in csv.reader(f) for c in row]))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs the CSV check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(cells.len() >= 7 * 8, "{cells:?}");
    for cell in &cells {
        let first = cell.chars().next().unwrap_or(' ');
        assert!(!"=+-@\t\r".contains(first), "a cell starts a formula: {cell:?}");
    }
    // The text is all there, behind the quote.
    for p in HOSTILE {
        assert!(
            cells.contains(&format!("'{p}")) || cells.contains(&p.to_string()),
            "{p:?} is missing"
        );
    }
}

#[test]
fn fountain_escapes_markup_mid_line() {
    let script = fountain(&hostile_drama(), "2026-12-07");
    for live in [" /* hidden", "[[secret", " *bold*", " _under_", "*Pilot*", " /* x"] {
        assert!(!script.contains(live), "{live:?} is live markup in:\n{script}");
    }
    assert!(
        script.contains(r"/\* hidden \*/") && script.contains(r"[\[secret]\]"),
        "{script}"
    );
}
