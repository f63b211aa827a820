//! Running the real `alumni-bot` binary on a transcript and checking what it printed.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// One command of a transcript and what its output must (not) contain.
struct Step {
    input: String,
    expect: Vec<String>,
    reject: Vec<String>,
}

/// A transcript's steps, and the shell's arguments from its `$ alumni-bot shell …` line (which
/// must come before the first command).
fn parse(transcript: &str) -> (Vec<String>, Vec<Step>) {
    let big_bio = "あ".repeat(10_000);
    let mut args = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    for line in transcript.lines() {
        if let Some(rest) = line.strip_prefix("$ alumni-bot shell") {
            assert!(steps.is_empty(), "`$ alumni-bot shell` after a command");
            args = rest.split_whitespace().map(str::to_owned).collect();
        } else if let Some(text) = line.strip_prefix("?! ") {
            steps
                .last_mut()
                .expect("expectation before any command")
                .reject
                .push(text.to_owned());
        } else if let Some(text) = line.strip_prefix("? ") {
            steps
                .last_mut()
                .expect("expectation before any command")
                .expect
                .push(text.to_owned());
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            steps.push(Step {
                input: line.replace("{BIG_BIO}", &big_bio),
                expect: Vec::new(),
                reject: Vec::new(),
            });
        }
    }
    (args, steps)
}

/// Run `alumni-bot shell` with `env`, feed it `input`, return stdout. Panics on a non-zero exit
/// and on any line the shell refused (`(shell error: …)`).
pub fn run_shell(env: &[(&str, &str)], input: &str) -> String {
    run_shell_with(&[], env, input)
}

/// [`run_shell`] with arguments after `shell`, e.g. `["--clock", "2026-12-01T10:00+09:00"]`.
pub fn run_shell_with(args: &[&str], env: &[(&str, &str)], input: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alumni-bot"));
    cmd.arg("shell")
        .args(args)
        .env_remove("DISCORD_TOKEN")
        .env_remove("SLACK_SIGNING_SECRET")
        .env_remove("SLACK_APP_TOKEN")
        .env_remove("ALUMNI_LOCALE")
        .env_remove("ALUMNI_ADMINS")
        .env_remove("ALUMNI_CONFIG")
        // No stray alumni.toml from the developer's checkout.
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start alumni-bot");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("run alumni-bot");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "alumni-bot exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("ERROR"), "errors were logged:\n{stderr}");
    let refused = shell_errors(&stdout);
    assert!(
        refused.is_empty(),
        "the shell refused a line (a script must not depend on today's date or a typo):\n{}\n\
         whole output:\n{stdout}",
        refused.join("\n")
    );
    stdout
}

/// Each `(shell error: …)` the shell printed, with the line it answered.
fn shell_errors(stdout: &str) -> Vec<String> {
    let mut last_echo = "(before the first line)";
    let mut errors = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("(shell error:") {
            errors.push(format!("{last_echo}\n  {line}"));
        } else if line
            .split_once("> ")
            .is_some_and(|(user, _)| !user.is_empty() && !user.contains(char::is_whitespace))
        {
            last_echo = line;
        }
    }
    errors
}

/// Run a transcript (see tests/transcripts/) and check every expectation against the output
/// of its own command. Returns the whole output.
pub fn check_transcript(env: &[(&str, &str)], transcript: &str) -> String {
    let (args, steps) = parse(transcript);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let input: String = steps.iter().map(|s| format!("{}\n", s.input)).collect();
    let output = run_shell_with(&args, env, &input);
    // The shell echoes each line as `user> line`: cut the output at those echoes.
    let mut rest = output.as_str();
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let echo = format!("> {}\n", step.input);
        let Some(at) = rest.find(&echo) else {
            failures.push(format!("step {i}: no echo of {:?}", step.input));
            break;
        };
        rest = &rest[at + echo.len()..];
        let end = steps
            .get(i + 1)
            .and_then(|next| rest.find(&format!("> {}\n", next.input)))
            .map_or(rest.len(), |e| rest[..e].rfind('\n').map_or(0, |n| n + 1));
        let block = &rest[..end];
        for want in &step.expect {
            if !block.contains(want.as_str()) {
                failures.push(format!(
                    "after {:?}\n  expected {want:?}\n  got:\n{block}",
                    short(&step.input)
                ));
            }
        }
        for unwanted in &step.reject {
            if block.contains(unwanted.as_str()) {
                failures.push(format!(
                    "after {:?}\n  did not expect {unwanted:?}\n  got:\n{block}",
                    short(&step.input)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nwhole output:\n{output}",
        failures.join("\n\n")
    );
    output
}

fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_owned()
    }
}
