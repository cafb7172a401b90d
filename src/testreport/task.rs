//! The kind of change a pull request claims to be (`--task`, else the
//! conventional-commit prefix of the pull request title or of the last
//! commit subject), which decides the TSK rules.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Task {
    Fix,
    Feat,
    Refactor,
    #[default]
    None,
}

impl Task {
    pub fn parse(s: &str) -> Option<Task> {
        match s {
            "fix" => Some(Task::Fix),
            "feat" => Some(Task::Feat),
            "refactor" => Some(Task::Refactor),
            "none" => Some(Task::None),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Task::Fix => "fix",
            Task::Feat => "feat",
            Task::Refactor => "refactor",
            Task::None => "none",
        }
    }

    /// The task a conventional-commit subject names: `fix: x`,
    /// `fix(api): x`, `feat!: x` (case-insensitive type).
    pub fn of_subject(subject: &str) -> Task {
        let subject = subject.trim();
        let Some((head, _)) = subject.split_once(':') else {
            return Task::None;
        };
        let kind = head
            .split('(')
            .next()
            .unwrap_or(head)
            .trim_end_matches('!')
            .trim()
            .to_ascii_lowercase();
        match kind.as_str() {
            "fix" | "bugfix" | "hotfix" => Task::Fix,
            "feat" | "feature" => Task::Feat,
            "refactor" => Task::Refactor,
            _ => Task::None,
        }
    }
}

/// The task and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChoice {
    pub task: Task,
    /// `--task`, `the pull request title "..."`, `the last commit subject "..."`.
    pub source: String,
}

/// `--task` when given (`none` disables); else the pull request title in
/// the GitHub event file (`event_path`, from `$GITHUB_EVENT_PATH`); else
/// the last commit's subject (`last_subject`). A missing or malformed
/// event file is an error, not a silent "no task".
pub fn choose(
    flag: Option<&str>,
    event_path: Option<&Path>,
    last_subject: impl FnOnce() -> Option<String>,
) -> Result<TaskChoice, String> {
    if let Some(flag) = flag {
        let task = Task::parse(flag).ok_or_else(|| {
            format!("--task: `{flag}` is not one of \"fix\", \"feat\", \"refactor\", \"none\"")
        })?;
        return Ok(TaskChoice {
            task,
            source: "--task".to_owned(),
        });
    }
    if let Some(path) = event_path {
        let bytes = crate::files::read_bounded(path, super::REPORT_CAP)
            .map_err(|e| format!("{} (GITHUB_EVENT_PATH): cannot read: {e}", path.display()))?;
        let event: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{} (GITHUB_EVENT_PATH): malformed event JSON: {e}",
                path.display()
            )
        })?;
        if let Some(title) = event
            .get("pull_request")
            .and_then(|p| p.get("title"))
            .and_then(|t| t.as_str())
        {
            return Ok(TaskChoice {
                task: Task::of_subject(title),
                source: format!("the pull request title \"{}\"", short(title)),
            });
        }
    }
    match last_subject() {
        Some(subject) => Ok(TaskChoice {
            task: Task::of_subject(&subject),
            source: format!("the last commit subject \"{}\"", short(&subject)),
        }),
        None => Ok(TaskChoice::default()),
    }
}

fn short(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(Task::of_subject("fix: crash on empty basket"), Task::Fix);
        assert_eq!(Task::of_subject("Fix(api)!: x"), Task::Fix);
        assert_eq!(Task::of_subject("feat(orders): bulk"), Task::Feat);
        assert_eq!(Task::of_subject("refactor: split"), Task::Refactor);
        assert_eq!(Task::of_subject("docs: readme"), Task::None);
        assert_eq!(Task::of_subject("fixes everything"), Task::None);
    }

    #[test]
    fn flag_then_event_then_commit() {
        let none = || None;
        assert_eq!(
            choose(Some("refactor"), None, none).unwrap().task,
            Task::Refactor
        );
        assert!(choose(Some("bugs"), None, none)
            .unwrap_err()
            .contains("`bugs`"));
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(&event, r#"{"pull_request": {"title": "feat: search"}}"#).unwrap();
        let c = choose(None, Some(&event), || Some("fix: x".into())).unwrap();
        assert_eq!(
            (c.task, c.source.as_str()),
            (Task::Feat, "the pull request title \"feat: search\"")
        );
        std::fs::write(&event, r#"{"push": {}}"#).unwrap();
        assert_eq!(
            choose(None, Some(&event), || Some("fix: x".into()))
                .unwrap()
                .task,
            Task::Fix
        );
        std::fs::write(&event, "{").unwrap();
        assert!(choose(None, Some(&event), none)
            .unwrap_err()
            .contains("malformed event JSON"));
        let gone = dir.path().join("gone.json");
        assert!(choose(None, Some(&gone), none)
            .unwrap_err()
            .contains("cannot read"));
        assert_eq!(choose(None, None, none).unwrap().task, Task::None);
    }
}
