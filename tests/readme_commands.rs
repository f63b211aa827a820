//! README's command tables against the command spec: every subcommand is documented, and every
//! documented command is one the spec has (a renamed or removed command fails here).

use bot_core::command::spec;

/// The `## Commands` section, up to the next top-level section.
fn commands_section() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find("\n## Commands").expect("a Commands section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_owned()
}

#[test]
fn every_subcommand_of_the_spec_has_a_row() {
    let section = commands_section();
    let mut missing = Vec::new();
    for c in spec::COMMANDS {
        for s in c.subs {
            let typed = if s.words.is_empty() {
                format!("`/{} @", c.name)
            } else {
                format!("`/{} {}", c.name, s.words)
            };
            let documented = section.lines().any(|l| {
                l.starts_with('|')
                    && l.split('|').nth(1).is_some_and(|cell| {
                        // `/intro @…` has no subcommand word; others end at a space or the span.
                        (s.words.is_empty() && cell.contains(&typed))
                            || cell.contains(&format!("{typed} "))
                            || cell.contains(&format!("{typed}`"))
                    })
            });
            if !documented {
                missing.push(typed);
            }
        }
    }
    assert!(missing.is_empty(), "README lacks rows for {missing:?}");
}

#[test]
fn every_documented_command_is_in_the_spec() {
    let section = commands_section();
    let mut unknown = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `/")) {
        let cell = line.split('|').nth(1).unwrap_or_default();
        for span in cell.split('`').skip(1).step_by(2) {
            let Some(rest) = span.strip_prefix('/') else {
                continue;
            };
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap_or_default();
            let Some(command) = spec::command(name) else {
                unknown.push(span.to_owned());
                continue;
            };
            let first = words.next().unwrap_or_default();
            let second = words.next();
            let known = command.find_words(first, second).is_some()
                || command.subs.iter().any(|s| s.words.is_empty());
            if !known {
                unknown.push(span.to_owned());
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "README documents {unknown:?}, not in the spec"
    );
}
