//! slack adapter: filled in by its own issue.
