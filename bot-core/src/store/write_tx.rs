//! Write transactions. On SQLite in WAL mode a deferred transaction that reads first and writes
//! later fails at once with SQLITE_BUSY ("database is locked") when another connection wrote in
//! between: the busy timeout does not apply to that upgrade. Taking the write lock at BEGIN
//! (`BEGIN IMMEDIATE`) makes a writer wait its turn (within the busy timeout) instead.
//! PostgreSQL needs nothing of the kind.

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}
