//! discord adapter: filled in by its own issue.
