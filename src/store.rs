//! The local mail store: SQLite on disk (WAL, FTS5), versioned schema. Filled in by the sync issue.
