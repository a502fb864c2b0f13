//! Store speed on a large local mailbox: fills a fresh store with 100,000 messages (English and
//! Japanese text) through the same calls sync uses, then times full-text search, the first page of
//! the list and the sidebar counts. Prints figures; goals from the sync issue are shown beside them.
//!
//! usage: cargo bench --bench store [-- MESSAGES]   (with the default features: the test-only
//! iced_test dependency needs a renderer in release builds)

use std::time::{Duration, Instant};

use tayori::store::{Flags, FolderRole, ListScope, NewBody, NewEnvelope, Seek, SortOrder, Store};

const WORDS: &[&str] = &[
    "meeting",
    "invoice",
    "project",
    "release",
    "budget",
    "schedule",
    "review",
    "draft",
    "contract",
    "quarterly",
    "deployment",
    "server",
    "migration",
    "customer",
    "feedback",
    "agenda",
    "minutes",
    "attached",
    "please",
    "regards",
    "thanks",
    "update",
    "status",
    "report",
    "the",
    "of",
    "and",
];
const JA: &[&str] = &[
    "会議の議事録を添付します。",
    "ご確認のほど、よろしくお願いいたします。",
    "来週の打ち合わせの日程について",
    "見積書を送付いたします。",
    "システムの移行作業は予定通り完了しました。",
    "第三四半期の売上報告",
    "プロジェクトの進捗状況",
    "契約書の確認",
    "障害報告",
    "メンテナンスのお知らせ",
];

/// A small deterministic generator (xorshift), so every run builds the same mailbox.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.next() % list.len() as u64) as usize]
    }
}

fn message(rng: &mut Rng, i: usize) -> Vec<u8> {
    let japanese = i.is_multiple_of(4);
    let subject = if japanese {
        format!("{} {}", rng.pick(JA), i)
    } else {
        format!("{} {} {}", rng.pick(WORDS), rng.pick(WORDS), i)
    };
    let mut body = String::new();
    for _ in 0..40 {
        if japanese {
            body.push_str(rng.pick(JA));
        } else {
            body.push_str(rng.pick(WORDS));
            body.push(' ');
        }
    }
    // One rare word in 1,000 messages, to time a selective query too.
    if i % 1000 == 7 {
        body.push_str(" zeppelin");
    }
    // Conversations of five: every message but each fifth answers the one that started it.
    let root = i - i % 5;
    let reply = if root == i {
        String::new()
    } else {
        format!(
            "In-Reply-To: <bench.{root}@example.jp>\r\nReferences: <bench.{root}@example.jp>\r\n"
        )
    };
    format!(
        "From: Sender {n} <sender{n}@example.jp>\r\nTo: me@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <bench.{i}@example.jp>\r\n{reply}Date: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        n = rng.next() % 500
    )
    .into_bytes()
}

fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(work());
        times.push(start.elapsed());
    }
    times.sort();
    (
        times[0],
        times[times.len() / 2],
        last.expect("at least one run"),
    )
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        // `cargo test --all-targets` runs this unoptimised as a smoke check: a small mailbox there;
        // the figures come from `cargo bench`.
        .unwrap_or(if cfg!(debug_assertions) {
            1_000
        } else {
            100_000
        });
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mail.sqlite3");
    let mut store = Store::open(&path).expect("store");
    let account = store.account_id("me@example.test").unwrap();
    store
        .set_folder_list(
            account,
            &[(
                "INBOX".into(),
                Some("/".into()),
                Some(FolderRole::Inbox),
                true,
            )],
        )
        .unwrap();
    let inbox = store.folder_states(account).unwrap()[0].id;
    store
        .set_folder_state(inbox, 1, Some(1), Some(1), false)
        .unwrap();

    let mut rng = Rng(0x5eed);
    let fill = Instant::now();
    for start in (0..n).step_by(1000) {
        let raws: Vec<Vec<u8>> = (start..(start + 1000).min(n))
            .map(|i| message(&mut rng, i))
            .collect();
        let envelopes: Vec<NewEnvelope> = raws
            .iter()
            .enumerate()
            .map(|(k, raw)| {
                let header_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                NewEnvelope {
                    server_identity: None,
                    uid: (start + k + 1) as u32,
                    flags: Flags {
                        seen: k % 3 != 0,
                        ..Flags::default()
                    },
                    keywords: vec![],
                    modseq: None,
                    internal_date: Some(1_790_000_000 + (start + k) as i64 * 60),
                    size: raw.len() as u32,
                    header: raw[..header_end].to_vec(),
                }
            })
            .collect();
        store.add_envelopes(inbox, &envelopes).unwrap();
        let bodies: Vec<NewBody> = raws
            .into_iter()
            .enumerate()
            .map(|(k, raw)| NewBody {
                uid: (start + k + 1) as u32,
                raw,
            })
            .collect();
        store.add_bodies(inbox, &bodies).unwrap();
    }
    let fill = fill.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "store with {n} messages built in {:.1} s ({:.0} messages/s, headers + bodies + index); file {:.0} MB",
        fill.as_secs_f64(),
        n as f64 / fill.as_secs_f64(),
        size as f64 / 1e6
    );
    drop(store);

    // A fresh open, as at launch.
    let (open_min, _, store) = time(1, || Store::open(&path).unwrap());
    println!("open the store: {:.1} ms", open_min.as_secs_f64() * 1e3);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (label, query) in [
        ("common English word", "budget"),
        ("English prefix", "migr"),
        ("rare word (1 in 1,000)", "zeppelin"),
        ("Japanese two characters", "会議"),
        ("Japanese phrase", "打ち合わせの日程"),
        ("two words (AND)", "invoice 報告"),
    ] {
        let (min, median, hits) = time(20, || store.search(query, 50).unwrap());
        println!(
            "search {label:<26} {query:<16} min {:>6.2} ms, median {:>6.2} ms ({} results shown, goal < 100 ms)",
            ms(min),
            ms(median),
            hits.len()
        );
    }
    let (min, median, page) = time(20, || {
        store
            .messages(inbox, SortOrder::NewestFirst, 0, 100)
            .unwrap()
    });
    println!(
        "first page of the list (100 rows): min {:.2} ms, median {:.2} ms ({} rows)",
        ms(min),
        ms(median),
        page.len()
    );
    let (min, median, _) = time(20, || {
        store
            .messages(inbox, SortOrder::NewestFirst, n / 2, 100)
            .unwrap()
    });
    println!(
        "a page in the middle (offset {}): min {:.2} ms, median {:.2} ms",
        n / 2,
        ms(min),
        ms(median)
    );
    // What the window does (keyset paging): a jump to the middle passes over the rows above on
    // the date index alone; the page after it starts from its last row.
    let scope = ListScope::Folder(inbox);
    let middle = Seek::Forward {
        after: None,
        skip: n / 2,
    };
    let (min, median, jumped) = time(20, || {
        store
            .message_page(scope, SortOrder::NewestFirst, middle, 100)
            .unwrap()
    });
    println!(
        "a page in the middle by keyset (a jump from the top): min {:.2} ms, median {:.2} ms",
        ms(min),
        ms(median)
    );
    let next = Seek::Forward {
        after: jumped.last,
        skip: 0,
    };
    let (min, median, _) = time(20, || {
        store
            .message_page(scope, SortOrder::NewestFirst, next, 100)
            .unwrap()
    });
    println!(
        "the page after it by keyset: min {:.2} ms, median {:.2} ms",
        ms(min),
        ms(median)
    );
    let (min, median, folders) = time(20, || store.folders().unwrap());
    println!(
        "sidebar folders with counts: min {:.2} ms, median {:.2} ms ({} unread of {})",
        ms(min),
        ms(median),
        folders[0].unread,
        folders[0].total
    );

    // The conversations view (threads of five): the count, a page of 200 threads (the window's
    // page) at the top and in the middle, and one thread opened.
    let scope = ListScope::Folder(inbox);
    let (min, median, threads) = time(20, || store.thread_count(scope).unwrap());
    println!(
        "conversations: thread count: min {:.2} ms, median {:.2} ms ({threads} threads)",
        ms(min),
        ms(median)
    );
    let top = Seek::Forward {
        after: None,
        skip: 0,
    };
    let (min, median, page) = time(20, || {
        store
            .thread_page(scope, SortOrder::NewestFirst, top, 200)
            .unwrap()
            .rows
    });
    println!(
        "conversations: first page (200 threads): min {:.2} ms, median {:.2} ms ({} rows, {} messages in the first)",
        ms(min),
        ms(median),
        page.len(),
        page.first().map_or(0, |t| t.count)
    );
    let middle = Seek::Forward {
        after: None,
        skip: threads / 2,
    };
    let (min, median, _) = time(20, || {
        store
            .thread_page(scope, SortOrder::NewestFirst, middle, 200)
            .unwrap()
    });
    println!(
        "conversations: a page in the middle (a jump from the top past {} threads): min {:.2} ms, median {:.2} ms",
        threads / 2,
        ms(min),
        ms(median)
    );
    let thread = page.first().map_or(0, |t| t.newest.thread_id);
    let (min, median, members) = time(20, || {
        store
            .thread_messages(scope, thread, SortOrder::NewestFirst)
            .unwrap()
    });
    println!(
        "conversations: expand one thread: min {:.2} ms, median {:.2} ms ({} messages)",
        ms(min),
        ms(median),
        members.len()
    );
}
