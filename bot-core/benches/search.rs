//! Directory search benchmark: `cargo bench -p bot-core --bench search`.
//!
//! Loads a deterministic alumni directory (Japanese and English names, companies, titles,
//! skills, bios; all approved) into a throwaway SQLite file and a throwaway PostgreSQL database
//! through `Store::insert_member` (so the search documents are exactly the ones the bot
//! writes), then times `Store::search(community, query, 10, 0)` for a realistic mix of
//! queries and prints p50/p95/p99 per query and overall as markdown tables.
//!
//! Environment:
//! - `ALUMNI_BENCH_MEMBERS` members in the main community (default 100000); a second, small
//!   community gets a fiftieth of that, to show that scoping costs little.
//! - `ALUMNI_BENCH_ITERS` timed runs of each query (default 200), after a warm-up.
//! - `ALUMNI_BENCH_BACKENDS` comma list of `sqlite`, `postgres` (default both).
//! - `ALUMNI_TEST_PG_URL` the PostgreSQL server (see `bot_core::testing`).
//! - `ALUMNI_BENCH_KEEP=1` keep the loaded data for a closer look (`EXPLAIN`): a copy of the
//!   SQLite file at `$TMPDIR/alumni-bench-search.db`, and the PostgreSQL database undropped.
//! - `ALUMNI_BENCH_SQLITE_REUSE=<path>`, `ALUMNI_BENCH_PG_REUSE=<url>` time the queries on
//!   data kept that way instead of loading again (the load time then reads 0).

use std::time::{Duration, Instant};

use bot_core::domain::{
    CommunityId, Field, Identity, Member, MemberStatus, OpenTo, Platform, Profile, Role,
};
use bot_core::i18n::Locale;
use bot_core::store::{NewCommunity, NewMember, PgStore, SearchQuery, SqliteStore, Store};
use bot_core::testing::{TempPostgres, TempSqlite};
use sqlx::Connection;

const TARGET_P95_MS: f64 = 5.0;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

/// SplitMix64: tiny, fast, good enough to make a directory that is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as usize) as i32
    }
}

/// The most common Japanese surnames (about 10% of the population between them), then more.
const JA_SURNAMES: &[&str] = &[
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
];
/// Kanji that long-tail surnames are made of (山崎, 西村, 石井…).
const JA_SURNAME_KANJI: &[&str] = &[
    "山", "川", "田", "村", "井", "木", "本", "野", "原", "松", "小", "石", "森", "池", "橋", "岡",
    "上", "西", "東", "北", "島", "沢", "谷", "崎", "宮", "大", "長", "前", "後", "藤",
];
const JA_GIVEN: &[&str] = &[
    "太郎",
    "花子",
    "健太",
    "翔太",
    "大輔",
    "拓也",
    "直樹",
    "由美",
    "結衣",
    "陽菜",
    "美咲",
    "蓮",
    "湊",
    "陽翔",
    "さくら",
    "葵",
    "悠真",
    "美穂",
    "智子",
    "恵",
    "誠",
    "浩二",
    "洋介",
    "亮",
    "真由美",
    "裕子",
    "和也",
    "達也",
    "修",
    "彩",
    "菜々子",
    "大和",
    "優子",
    "聡",
    "隆",
    "明美",
    "一郎",
    "健",
    "舞",
    "愛",
];
const EN_FIRST: &[&str] = &[
    "John", "Emily", "Michael", "Sarah", "David", "Jessica", "James", "Laura", "Robert", "Anna",
    "William", "Olivia", "Daniel", "Sophie", "Thomas", "Emma", "Chris", "Grace", "Matthew",
    "Hannah", "Andrew", "Chloe", "Ryan", "Megan", "Kevin", "Rachel", "Brian", "Lucy", "Mark",
    "Alice", "Paul", "Julia", "Peter", "Kate", "Steven", "Nina", "Jason", "Maria", "Eric", "Amy",
];
const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Wilson",
    "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker",
    "Collins", "Edwards", "Stewart",
];
const COMPANIES: &[&str] = &[
    "Mercari",
    "freee",
    "SmartHR",
    "Sansan",
    "LINEヤフー",
    "楽天グループ",
    "サイボウズ",
    "Google",
    "Amazon",
    "Microsoft",
    "ソニー",
    "トヨタ自動車",
    "日立製作所",
    "富士通",
    "NTTデータ",
    "リクルート",
    "DeNA",
    "CyberAgent",
    "Money Forward",
    "Preferred Networks",
    "Ubie",
    "LayerX",
    "Cookpad",
    "GMO",
    "野村総合研究所",
    "三菱UFJ銀行",
    "Salesforce",
    "Stripe",
    "Shopify",
    "Datadog",
    "Acme Labs",
    "Globex",
    "Initech",
    "Umbrella Works",
    "北海道ソフト",
    "大阪テック",
    "福岡データ",
    "Kyoto Robotics",
    "Nagoya Motors",
    "self-employed",
];
const TITLES: &[&str] = &[
    "Software Engineer",
    "Backend Engineer",
    "Frontend Engineer",
    "Senior Software Engineer",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Data Engineer",
    "Data Scientist",
    "Product Manager",
    "Product Designer",
    "UX Researcher",
    "Sales Manager",
    "Account Executive",
    "CFO",
    "CTO",
    "経理マネージャー",
    "人事部長",
    "採用担当",
    "マーケター",
    "エンジニア",
    "テックリード",
    "Consultant",
    "Founder",
    "VP of Engineering",
];
const INDUSTRIES: &[&str] = &[
    "SaaS",
    "FinTech",
    "EC",
    "HR Tech",
    "製造",
    "コンサルティング",
    "広告",
    "ゲーム",
    "医療",
    "教育",
    "金融",
    "不動産",
    "物流",
    "Media",
];
const LOCATIONS: &[&str] = &[
    "Tokyo",
    "東京",
    "Osaka",
    "大阪",
    "Fukuoka",
    "福岡",
    "Nagoya",
    "Sapporo",
    "Kyoto",
    "Remote",
    "San Francisco",
    "London",
    "Singapore",
    "Berlin",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "開発部",
    "Sales",
    "営業部",
    "Marketing",
    "経理部",
    "人事部",
    "Product",
    "Design",
    "Customer Success",
    "法務部",
    "Data",
];
const SKILLS: &[&str] = &[
    "Rust",
    "Go",
    "TypeScript",
    "Python",
    "Java",
    "Kotlin",
    "Swift",
    "React",
    "AWS",
    "GCP",
    "Kubernetes",
    "SQL",
    "Ruby",
    "PHP",
    "C++",
    "C#",
    "Figma",
    "経理",
    "人事",
    "採用",
    "営業",
    "マーケティング",
    "財務",
    "法務",
    "データ分析",
    "機械学習",
    "プロダクトマネジメント",
    "英語",
];
/// Skills few people list, for the rare-term query.
const RARE_SKILLS: &[&str] = &["COBOL", "Haskell", "Erlang"];
const INTERESTS: &[&str] = &[
    "登山",
    "カメラ",
    "料理",
    "読書",
    "running",
    "coffee",
    "board games",
    "キャンプ",
    "ギター",
    "startups",
    "angel investing",
    "mentoring",
    "サウナ",
    "旅行",
    "cycling",
    "jazz",
];
const BIO_EN: &[&str] = &[
    "Built the payments backend and scaled it to millions of users.",
    "Led a team of engineers shipping the mobile app.",
    "Now helping startups with hiring and engineering culture.",
    "Happy to chat about career changes over coffee.",
    "Worked on search, recommendations and data pipelines.",
    "Moved from sales to product management.",
    "Running my own consultancy since leaving.",
    "Ask me about accounting, audits and IPO preparation.",
    "Interested in open source and developer tooling.",
    "Looking for side projects in climate tech.",
];
const BIO_JA: &[&str] = &[
    "バックエンド開発を担当していました。",
    "趣味は登山とカメラです。",
    "副業の相談歓迎です。",
    "経理と財務を十年やってきました。",
    "採用と組織づくりに関心があります。",
    "現在はスタートアップでプロダクト開発をしています。",
    "地方移住して福岡からリモートで働いています。",
    "お気軽にコーヒーでもどうぞ。",
    "機械学習の研究開発に携わっていました。",
    "営業からエンジニアに転職しました。",
];

fn profile(rng: &mut Rng) -> Profile {
    let japanese = rng.chance(600);
    let name = if japanese {
        let surname = if rng.chance(500) {
            rng.pick(JA_SURNAMES).to_owned()
        } else {
            format!(
                "{}{}",
                rng.pick(JA_SURNAME_KANJI),
                rng.pick(JA_SURNAME_KANJI)
            )
        };
        let given = rng.pick(JA_GIVEN);
        // People write their name with and without the space.
        if rng.chance(500) {
            format!("{surname} {given}")
        } else {
            format!("{surname}{given}")
        }
    } else {
        format!("{} {}", rng.pick(EN_FIRST), rng.pick(EN_LAST))
    };
    let joined = rng.range(1998, 2022);
    let left = if rng.chance(920) {
        Some((joined + rng.range(1, 8)).min(2025))
    } else {
        None
    };
    let mut skills: Vec<String> = Vec::new();
    for _ in 0..rng.range(1, 5) {
        let s = rng.pick(SKILLS).to_owned();
        if !skills.contains(&s) {
            skills.push(s);
        }
    }
    if rng.chance(1) {
        skills.push(rng.pick(RARE_SKILLS).to_owned());
    }
    let mut interests: Vec<String> = Vec::new();
    for _ in 0..rng.range(0, 3) {
        let s = rng.pick(INTERESTS).to_owned();
        if !interests.contains(&s) {
            interests.push(s);
        }
    }
    let mut open_to = Vec::new();
    for o in OpenTo::ALL {
        if rng.chance(250) {
            open_to.push(*o);
        }
    }
    let bio = if rng.chance(850) {
        let mut bio = String::new();
        for _ in 0..rng.range(1, 3) {
            if !bio.is_empty() {
                bio.push(' ');
            }
            bio.push_str(if japanese && rng.chance(700) {
                rng.pick(BIO_JA)
            } else {
                rng.pick(BIO_EN)
            });
        }
        Some(bio)
    } else {
        None
    };
    Profile {
        name,
        department: rng.chance(800).then(|| rng.pick(DEPARTMENTS).to_owned()),
        joined: Some(joined),
        left,
        company: rng.chance(900).then(|| rng.pick(COMPANIES).to_owned()),
        title: rng.chance(900).then(|| rng.pick(TITLES).to_owned()),
        industry: rng.chance(800).then(|| rng.pick(INDUSTRIES).to_owned()),
        location: rng.chance(850).then(|| rng.pick(LOCATIONS).to_owned()),
        skills,
        interests,
        open_to,
        bio,
    }
}

fn new_member(rng: &mut Rng, community: CommunityId, n: usize) -> NewMember {
    let profile = profile(rng);
    let role = match rng.below(100) {
        0 => Role::Admin,
        1..=3 => Role::Supporter,
        4..=9 => Role::Employee,
        _ => Role::Member,
    };
    NewMember {
        identity: Identity {
            platform: if n.is_multiple_of(3) {
                Platform::Slack
            } else {
                Platform::Discord
            },
            space_id: format!("bench-space-{community}"),
            user_id: format!("u{community}x{n}"),
            handle: format!("alum{n}"),
        },
        status: MemberStatus::Approved,
        role,
        profile,
        locale: None,
        timezone: None,
    }
}

/// A few members hide a field; the store must keep hidden fields out of the index.
fn hidden_fields(rng: &mut Rng) -> Vec<Field> {
    let mut hidden = Vec::new();
    if rng.chance(30) {
        hidden.push(Field::Company);
    }
    if rng.chance(20) {
        hidden.push(Field::Bio);
    }
    hidden
}

// ---------------------------------------------------------------------------------------------
// The query mix

struct Query {
    label: &'static str,
    query: SearchQuery,
}

fn text(t: &str) -> SearchQuery {
    SearchQuery {
        text: t.to_owned(),
        ..SearchQuery::default()
    }
}

fn query_mix() -> Vec<Query> {
    vec![
        Query {
            label: "surname `田中`",
            query: text("田中"),
        },
        Query {
            label: "full name `田中 太郎`",
            query: text("田中 太郎"),
        },
        Query {
            label: "English name `John Smith`",
            query: text("John Smith"),
        },
        Query {
            label: "skill word `rust`",
            query: text("rust"),
        },
        Query {
            label: "prefix `typ`",
            query: text("typ"),
        },
        Query {
            label: "`engineer` + open_to:rehire + skills:Go",
            query: SearchQuery {
                text: "engineer".to_owned(),
                skills: vec!["Go".to_owned()],
                open_to: vec![OpenTo::Rehire],
                ..SearchQuery::default()
            },
        },
        Query {
            label: "left:2015-2018 only (no text)",
            query: SearchQuery {
                left: Some((2015, 2018)),
                ..SearchQuery::default()
            },
        },
        Query {
            label: "rare term `cobol`",
            query: text("cobol"),
        },
        Query {
            label: "very common term `engineer`",
            query: text("engineer"),
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Measuring

struct Stats {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(samples: &[Duration]) -> Stats {
    let mut v: Vec<f64> = samples.iter().copied().map(ms).collect();
    v.sort_by(f64::total_cmp);
    // Nearest rank.
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Stats {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: v[v.len() - 1],
    }
}

struct QueryResult {
    label: &'static str,
    total: u64,
    /// False when the store stopped counting (`SearchPage::total_exact`).
    exact: bool,
    samples: Vec<Duration>,
}

/// Warm up, then run the mix round-robin `iters` times (so no query gets a hot cache to itself).
async fn run_mix(
    store: &dyn Store,
    community: CommunityId,
    mix: &[Query],
    iters: usize,
) -> Vec<QueryResult> {
    let mut results: Vec<QueryResult> = Vec::new();
    for q in mix {
        let (mut total, mut exact) = (0, true);
        for _ in 0..10 {
            let page = store
                .search(community, &q.query, 10, 0)
                .await
                .expect("search");
            (total, exact) = (page.total, page.total_exact);
        }
        results.push(QueryResult {
            label: q.label,
            total,
            exact,
            samples: Vec::with_capacity(iters),
        });
    }
    for _ in 0..iters {
        for (q, r) in mix.iter().zip(&mut results) {
            let start = Instant::now();
            let page = store
                .search(community, &q.query, 10, 0)
                .await
                .expect("search");
            r.samples.push(start.elapsed());
            assert_eq!(
                page.total, r.total,
                "{}: total changed between runs",
                q.label
            );
            assert!(page.members.len() <= 10);
        }
    }
    results
}

fn print_table(results: &[QueryResult]) -> Stats {
    let all = print_rows(results);
    let s = stats(&all);
    println!(
        "| **overall** | | **{:.2}** | **{:.2}** | **{:.2}** | {:.2} |",
        s.p50, s.p95, s.p99, s.max
    );
    s
}

fn print_rows(results: &[QueryResult]) -> Vec<Duration> {
    println!("| query | hits | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut all = Vec::new();
    for r in results {
        let s = stats(&r.samples);
        println!(
            "| {} | {}{} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.label,
            r.total,
            if r.exact { "" } else { "+" },
            s.p50,
            s.p95,
            s.p99,
            s.max
        );
        all.extend_from_slice(&r.samples);
    }
    all
}

fn print_summary(label: &str, results: &[QueryResult]) -> Stats {
    let all: Vec<Duration> = results.iter().flat_map(|r| r.samples.clone()).collect();
    let s = stats(&all);
    println!(
        "| {label} | {:.2} | {:.2} | {:.2} | {:.2} |",
        s.p50, s.p95, s.p99, s.max
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Loading

struct Loaded {
    main: CommunityId,
    small: CommunityId,
    load: Duration,
}

async fn community(store: &dyn Store, space: &str) -> CommunityId {
    store
        .community_for_space(
            Platform::Discord,
            space,
            &NewCommunity {
                name: space.to_owned(),
                locale: Locale::Ja,
                timezone: "Asia/Tokyo".to_owned(),
                requires_approval: false,
            },
        )
        .await
        .expect("community")
        .id
}

/// Insert through `Store::insert_member` (and `update_profile` for hidden fields): the very
/// path the bot uses, so the index holds exactly what it would in production. The directory
/// is generated up front (deterministic); `tasks` inserts run at once (ids then depend on
/// scheduling, the data does not).
async fn load<S: Store + Clone + 'static>(
    store: &S,
    members: usize,
    tasks: usize,
    backend: &'static str,
    analyze: Option<sqlx::PgPool>,
) -> Loaded {
    let start = Instant::now();
    let main = community(store, "bench-main").await;
    let small = community(store, "bench-small").await;
    let mut rng = Rng(0x5EED_A1B0_2025);
    let small_members = (members / 50).max(1);
    // Interleave the communities, as a shared deployment would.
    let every = (members / small_members).max(1);
    let mut all = Vec::with_capacity(members + small_members);
    let (mut n_main, mut n_small) = (0, 0);
    while n_main < members || n_small < small_members {
        let into_small =
            n_small < small_members && (n_main % every == every - 1 || n_main >= members);
        let (community, n) = if into_small {
            n_small += 1;
            (small, n_small)
        } else {
            n_main += 1;
            (main, n_main)
        };
        let new = new_member(&mut rng, community, n);
        all.push((community, new, hidden_fields(&mut rng)));
    }
    let all = std::sync::Arc::new(all);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..tasks {
        let (store, all, done) = (store.clone(), all.clone(), done.clone());
        let analyze = analyze.clone();
        workers.spawn(async move {
            let no_jobs = |_: &Member| Vec::new();
            for (community, new, hidden) in all.iter().skip(worker).step_by(tasks) {
                let mut member = store
                    .insert_member(*community, new, &no_jobs, chrono::Utc::now())
                    .await
                    .expect("insert member");
                if !hidden.is_empty() {
                    member.hidden = hidden.clone();
                    store
                        .update_profile(&member, chrono::Utc::now())
                        .await
                        .expect("hide fields");
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                // What autovacuum would do as the table grows (it is off on some servers, and
                // statements planned against an empty table would then stay slow).
                if let Some(pool) = analyze.as_ref().filter(|_| n.is_multiple_of(5_000)) {
                    sqlx::query("ANALYZE members, identities")
                        .execute(pool)
                        .await
                        .expect("analyze");
                }
                if n.is_multiple_of(20_000) {
                    eprintln!(
                        "  {backend}: {n}/{} members loaded in {:.1}s",
                        all.len(),
                        start.elapsed().as_secs_f64()
                    );
                }
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r.expect("loader task");
    }
    Loaded {
        main,
        small,
        load: start.elapsed(),
    }
}

/// A directory loaded by an earlier run (`ALUMNI_BENCH_KEEP=1`), to time queries again.
async fn loaded_before(store: &dyn Store) -> Loaded {
    Loaded {
        main: community(store, "bench-main").await,
        small: community(store, "bench-small").await,
        load: Duration::ZERO,
    }
}

fn mib(bytes: i64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------------------------------------
// Backends

struct BackendReport {
    name: &'static str,
    main: Stats,
}

async fn bench_sqlite(members: usize, iters: usize) -> BackendReport {
    let db = TempSqlite::new("bench-search");
    let reuse = std::env::var("ALUMNI_BENCH_SQLITE_REUSE")
        .ok()
        .map(std::path::PathBuf::from);
    let path = reuse.clone().unwrap_or_else(|| db.path.clone());
    let store = SqliteStore::connect(&path.display().to_string())
        .await
        .expect("open sqlite");
    eprintln!("SQLite at {}", path.display());
    let loaded = match reuse {
        Some(_) => loaded_before(&store).await,
        // One writer: SQLite serialises writes anyway.
        None => load(&store, members, 1, "sqlite", None).await,
    };
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .expect("checkpoint");
    let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if keep() {
        let copy = std::env::temp_dir().join("alumni-bench-search.db");
        std::fs::copy(&path, &copy).expect("copy sqlite file");
        eprintln!("  sqlite: kept a copy at {}", copy.display());
    }
    let fts: Option<i64> =
        sqlx::query_scalar("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'member_search%'")
            .fetch_one(store.pool())
            .await
            .ok()
            .flatten();

    println!("\n### SQLite\n");
    println!(
        "{members} + {} members loaded through `Store::insert_member` ({} at once) in {:.1} s \
         ({:.0} members/s); database file {} (search index {}).\n",
        (members / 50).max(1),
        1,
        loaded.load.as_secs_f64(),
        (members + (members / 50).max(1)) as f64 / loaded.load.as_secs_f64(),
        mib(file as i64),
        fts.map_or("n/a".to_owned(), mib),
    );
    let report = measure(&store, &loaded, iters, "sqlite").await;
    baseline(Pool::Sqlite(store.pool()), &loaded).await;
    drop(store);
    report
}

async fn bench_postgres(members: usize, iters: usize) -> Option<Vec<BackendReport>> {
    let reuse = std::env::var("ALUMNI_BENCH_PG_REUSE").ok();
    let db = match reuse {
        Some(_) => None,
        None => Some(TempPostgres::create("bench_search").await?),
    };
    let url = reuse
        .clone()
        .unwrap_or_else(|| db.as_ref().expect("db").url.clone());
    if reuse.is_none() {
        // A throwaway database: no need to wait for the WAL flush on every commit while
        // loading (it changes nothing about reads).
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let mut conn = sqlx::PgConnection::connect(&url)
            .await
            .expect("connect postgres");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        )))
        .execute(&mut conn)
        .await
        .expect("synchronous_commit");
        conn.close().await.expect("close");
    }
    let store = PgStore::connect(&url).await.expect("open postgres");
    eprintln!("PostgreSQL at {url}");
    let loaded = match reuse {
        Some(_) => loaded_before(&store).await,
        None => load(&store, members, 4, "postgres", Some(store.pool().clone())).await,
    };
    // What autovacuum does soon after a bulk of inserts: statistics for the planner, and the
    // GIN pending list merged into the index.
    sqlx::query("VACUUM ANALYZE")
        .execute(store.pool())
        .await
        .expect("vacuum");
    let (db_size, table, gin): (i64, i64, i64) = sqlx::query_as(
        "SELECT pg_database_size(current_database()), pg_total_relation_size('members'), \
         pg_relation_size('members_search')",
    )
    .fetch_one(store.pool())
    .await
    .expect("sizes");

    println!("\n### PostgreSQL\n");
    println!(
        "{members} + {} members loaded through `Store::insert_member` ({} at once) in {:.1} s \
         ({:.0} members/s); database {} (members table with indexes {}, GIN index {}).\n",
        (members / 50).max(1),
        4,
        loaded.load.as_secs_f64(),
        (members + (members / 50).max(1)) as f64 / loaded.load.as_secs_f64(),
        mib(db_size),
        mib(table),
        mib(gin),
    );
    // The first search of a community loads it into memory: timed, with what it costs in
    // resident memory.
    let rss_before = rss_kib();
    let started = Instant::now();
    store.warm_search().await.expect("warm");
    let first = started.elapsed();
    println!(
        "Loading both communities into memory (`PgStore::warm_search`, in the background at \
         start): {:.0} ms; resident memory {} → {} MiB.\n",
        first.as_secs_f64() * 1000.0,
        rss_before / 1024,
        rss_kib() / 1024,
    );
    let report = measure(&store, &loaded, iters, "postgres").await;
    println!("\n#### PostgreSQL searching in SQL (the GIN index; the fallback, for comparison)\n");
    let sql = measure(
        &store.clone().with_sql_search(),
        &loaded,
        iters,
        "postgres-sql",
    )
    .await;
    baseline(Pool::Postgres(store.pool()), &loaded).await;
    store.pool().close().await;
    match db {
        Some(db) if keep() => eprintln!("  postgres: kept {}", db.url),
        Some(db) => db.drop_db().await,
        None => {}
    }
    Some(vec![report, sql])
}

/// This process's resident memory.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn measure(
    store: &dyn Store,
    loaded: &Loaded,
    iters: usize,
    backend: &'static str,
) -> BackendReport {
    let mix = query_mix();
    eprintln!("  {backend}: timing {} queries x {iters}", mix.len());
    let load_before = loadavg();
    let main = run_mix(store, loaded.main, &mix, iters).await;
    println!(
        "Main community, `Store::search(community, query, 10, 0)`, {iters} runs each \
         (load average before/after: {load_before} / {}):\n",
        loadavg()
    );
    let main_stats = print_table(&main);
    let small = run_mix(store, loaded.small, &mix, iters.div_ceil(4)).await;
    println!("\nThe same mix in the small community (sharing the tables and index):\n");
    println!("| community | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    print_summary("main", &main);
    print_summary("small", &small);
    let extra = [Query {
        label: "empty query (everyone, newest first)",
        query: SearchQuery::default(),
    }];
    let extra = run_mix(store, loaded.main, &extra, iters.div_ceil(4)).await;
    println!("\nOutside the mix:\n");
    print_rows(&extra);
    BackendReport {
        name: match backend {
            "sqlite" => "SQLite",
            "postgres" => "PostgreSQL (in memory)",
            _ => "PostgreSQL (SQL, GIN)",
        },
        main: main_stats,
    }
}

enum Pool<'a> {
    Sqlite(&'a sqlx::SqlitePool),
    Postgres(&'a sqlx::PgPool),
}

/// The naive alternative, for comparison: `LIKE '%田中%'` over the text columns (a full scan;
/// a trigram index could not help, as a 2-character term has no trigram).
async fn baseline(pool: Pool<'_>, loaded: &Loaded) {
    const SQL: &str = "SELECT m.id, COUNT(*) OVER () AS total FROM members m \
        WHERE m.community_id = $1 AND m.status = 'approved' AND (m.name LIKE $2 \
        OR m.company LIKE $2 OR m.title LIKE $2 OR m.skills LIKE $2 OR m.bio LIKE $2) \
        ORDER BY m.id LIMIT 10";
    let runs = 20;
    let mut samples = Vec::new();
    let mut total = 0i64;
    for i in 0..runs + 3 {
        let start = Instant::now();
        let rows: Vec<(i64, i64)> = match pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(SQL)
                    .bind(loaded.main)
                    .bind("%田中%")
                    .fetch_all(p)
                    .await
            }
            Pool::Postgres(p) => {
                sqlx::query_as(SQL)
                    .bind(loaded.main)
                    .bind("%田中%")
                    .fetch_all(p)
                    .await
            }
        }
        .expect("baseline");
        if i >= 3 {
            samples.push(start.elapsed());
        }
        total = rows.first().map_or(0, |r| r.1);
    }
    let s = stats(&samples);
    println!(
        "\nBaseline, naive `LIKE '%田中%'` over name/company/title/skills/bio (ids only), \
         {runs} runs: {total} hits, p50 {:.2} ms, p95 {:.2} ms.",
        s.p50, s.p95
    );
}

/// The 1-minute load average: other work on the machine shows up in the latencies.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn keep() -> bool {
    std::env::var("ALUMNI_BENCH_KEEP").is_ok_and(|v| v == "1")
}

fn main() {
    let members = env_usize("ALUMNI_BENCH_MEMBERS", 100_000).max(1);
    let iters = env_usize("ALUMNI_BENCH_ITERS", 200).max(1);
    let backends =
        std::env::var("ALUMNI_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!("## Search benchmark: {members} members\n");
    let mut reports = Vec::new();
    for backend in backends.split(',').map(str::trim) {
        match backend {
            "sqlite" => reports.push(runtime.block_on(bench_sqlite(members, iters))),
            "postgres" => reports.extend(
                runtime
                    .block_on(bench_postgres(members, iters))
                    .into_iter()
                    .flatten(),
            ),
            "" => {}
            other => panic!("unknown backend {other:?} in ALUMNI_BENCH_BACKENDS"),
        }
    }
    println!("\n### Against the target (overall p95 < {TARGET_P95_MS} ms)\n");
    println!("| backend | overall p50 ms | overall p95 ms | overall p99 ms | target met |");
    println!("|---|---:|---:|---:|---|");
    for r in &reports {
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {} |",
            r.name,
            r.main.p50,
            r.main.p95,
            r.main.p99,
            if r.main.p95 < TARGET_P95_MS {
                "yes"
            } else {
                "**no**"
            }
        );
    }
}
