//! Test support shared by the crates' test suites and benchmarks: throwaway databases on a
//! real SQLite file and a real PostgreSQL server. Not used by the bot itself.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// The server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ALUMNI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether PostgreSQL tests must run (CI sets `ALUMNI_REQUIRE_PG=1`): then an unreachable
/// server fails the test instead of skipping it.
pub fn postgres_required() -> bool {
    std::env::var("ALUMNI_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// A database created for one test and dropped by [`TempPostgres::drop_db`].
pub struct TempPostgres {
    pub url: String,
    name: String,
}

impl TempPostgres {
    /// Create a fresh database, or `None` (with a loud warning) when PostgreSQL cannot be
    /// reached and is not required.
    pub async fn create(label: &str) -> Option<TempPostgres> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if postgres_required() {
                    panic!("ALUMNI_REQUIRE_PG=1 but PostgreSQL at {admin} is unreachable: {e}");
                }
                eprintln!(
                    "\n!!! SKIPPING PostgreSQL test {label}: cannot reach {admin} ({e}).\n\
                     !!! Start PostgreSQL or set ALUMNI_TEST_PG_URL; CI sets ALUMNI_REQUIRE_PG=1.\n"
                );
                return None;
            }
        };
        let name = format!(
            "alumni_test_{}_{}_{}",
            label
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(20)
                .collect::<String>(),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        )
        .to_lowercase();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut conn)
        .await
        .expect("drop old test database");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(TempPostgres {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drop the database (closing other sessions on it first).
    pub async fn drop_db(self) {
        let admin = postgres_admin_url();
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// A SQLite file in a fresh temporary directory, removed when dropped.
pub struct TempSqlite {
    pub path: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl TempSqlite {
    pub fn new(label: &str) -> TempSqlite {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "alumni-test-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempSqlite {
            path: dir.join("alumni.db"),
            dir,
        }
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
