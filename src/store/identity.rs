//! State that knows it is the same state.
//!
//! The database is what stops a post from going out twice: a key already
//! `posted` is never posted again. An emptied `state.db` (`: > state.db`),
//! another folder's copy, or a backup from before the last post forgets
//! that, and every slot still inside its grace window would go out again.
//! So the database carries an identity, a random id and a count of the
//! writes made to it (`store/id`, `store/seq` in its key/value table), and
//! the daemon mirrors both into a small file beside it ([`MIRROR_FILE`])
//! after every write.
//!
//! At start, [`verify`] compares the two. The mirror is written only after
//! the database's commit is durable, so it can lag the database (a crash in
//! between, or a power cut that loses the file's last rename: it is not
//! synced, to keep an fsync off the posting path) but never run ahead of
//! it. Hence the rule: the database may be *ahead* of the mirror, never
//! behind it, and the ids must agree. Anything else is refused, naming the
//! files, what differs and what to do, unless the operator says the change
//! is meant (`tweetchat run --accept-state-change`). Then the daemon looks
//! up on its platform, as it does for an intent in doubt, every slot still
//! inside its grace window before posting it.
//!
//! The console's outbox is the second witness. Each line carries the
//! identity of the store its post was recorded in, as the mirror read when
//! the line was written. An outbox with posts beside a database that has
//! never recorded anything (and no mirror) means the database was emptied
//! or replaced together with the mirror; lines of another store beside a
//! database whose mirror is gone mean it was replaced; a line of this
//! store at a write count the database has not reached means both were
//! rolled back to an older copy.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::sql::now_ms;

/// The mirror inside `state_dir`.
pub const MIRROR_FILE: &str = "identity";

const ID_KEY: &str = "store/id";
const SEQ_KEY: &str = "store/seq";
/// The stores whose outbox lines the operator accepted this database
/// beside (`--accept-state-change`), comma-separated.
const ACCEPTED_KEY: &str = "store/accepted";

/// The flag that lets `run` start on state that is not the one it left.
pub const ACCEPT_FLAG: &str = "--accept-state-change";

/// Which database this is, and how many writes it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub seq: u64,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The same state as the last run left (or the first start ever).
    Same,
    /// Not the state the last run left, started anyway with
    /// [`ACCEPT_FLAG`]: what differed. Every slot inside its grace window
    /// must be looked up on its platform before it is posted.
    Changed(String),
}

/// The identity recorded in the database, if any.
pub(super) fn read(conn: &Connection) -> rusqlite::Result<Option<Identity>> {
    let id = super::sql::kv_get(conn, ID_KEY)?;
    let seq = super::sql::kv_get(conn, SEQ_KEY)?;
    Ok(id.map(|id| Identity {
        id,
        seq: seq.and_then(|s| s.parse().ok()).unwrap_or(0),
    }))
}

/// Counts one more write, in the caller's transaction; the new identity,
/// or `None` for a database without one (tests, rehearsals).
pub(super) fn bump(conn: &Connection) -> rusqlite::Result<Option<Identity>> {
    let seq: Option<i64> = conn
        .prepare_cached(
            "UPDATE kv SET value = CAST(value AS INTEGER) + 1, updated_at = ?2 \
             WHERE key = ?1 RETURNING CAST(value AS INTEGER)",
        )?
        .query_row(params![SEQ_KEY, now_ms()], |row| row.get(0))
        .optional()?;
    let Some(seq) = seq else {
        return Ok(None);
    };
    let id = super::sql::kv_get(conn, ID_KEY)?.unwrap_or_default();
    Ok(Some(Identity {
        id,
        seq: u64::try_from(seq).unwrap_or(0),
    }))
}

/// Gives the database a new identity (a fresh random id, write count 0).
fn create(conn: &Connection) -> rusqlite::Result<Identity> {
    let id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    super::sql::kv_set(conn, ID_KEY, &id)?;
    super::sql::kv_set(conn, SEQ_KEY, "0")?;
    Ok(Identity { id, seq: 0 })
}

/// Where the mirror of the database at `db` lives.
pub fn mirror_path(db: &Path) -> PathBuf {
    db.with_file_name(MIRROR_FILE)
}

/// Replaces the mirror with `identity` (a new file renamed over the old
/// one, so a reader sees the old or the new, never half of one).
pub fn write_mirror(path: &Path, identity: &Identity) -> std::io::Result<()> {
    let text = format!(
        "# The identity of state.db beside this file, written by tweetchat after each\n\
         # write to it. Do not edit: `tweetchat run` compares the two at start.\n\
         id = {}\nseq = {}\n",
        identity.id, identity.seq
    );
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The mirror's identity: `Ok(None)` when there is no file; an error when
/// the file cannot be read or understood.
pub fn read_mirror(path: &Path) -> anyhow::Result<Option<Identity>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    let (mut id, mut seq) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some((name, value)) = line.split_once('=') {
            match name.trim() {
                "id" => id = Some(value.trim().to_string()),
                "seq" => seq = value.trim().parse::<u64>().ok(),
                _ => {}
            }
        }
    }
    match (id, seq) {
        (Some(id), Some(seq)) if !id.is_empty() => Ok(Some(Identity { id, seq })),
        _ => bail!(
            "{} is not a tweetchat identity file (expected lines `id = …` and `seq = …`)",
            path.display()
        ),
    }
}

/// What the console's outbox beside the database says: its posts due
/// since `since` (older ones could not be posted again anyway), and for
/// each store they were recorded in, the highest write count a line
/// carries.
#[derive(Debug, Default)]
struct Witness {
    posts: usize,
    stores: std::collections::BTreeMap<String, u64>,
}

impl Witness {
    fn read(db: &Path, since: Timestamp) -> Self {
        let outbox = db.with_file_name(crate::platform::console::OUTBOX);
        let mut witness = Witness::default();
        for line in crate::platform::console::read_outbox(&outbox).unwrap_or_default() {
            if line.at < since {
                continue;
            }
            witness.posts += 1;
            if let Some(store) = line.store {
                let seq = witness.stores.entry(store.id).or_default();
                *seq = (*seq).max(store.seq);
            }
        }
        witness
    }

    /// The write count of `found`'s store its lines reached, when the
    /// database is behind it.
    fn ahead_of(&self, found: &Identity) -> Option<u64> {
        self.stores
            .get(&found.id)
            .copied()
            .filter(|&seq| seq > found.seq)
    }

    /// A store its lines name that is neither `found`'s nor one accepted
    /// beside it.
    fn foreign<'a>(&'a self, found: &Identity, accepted: &[String]) -> Option<&'a str> {
        self.stores
            .keys()
            .find(|id| **id != found.id && !accepted.contains(id))
            .map(String::as_str)
    }
}

/// The stores accepted beside this database ([`ACCEPTED_KEY`]).
fn accepted(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    Ok(super::sql::kv_get(conn, ACCEPTED_KEY)?
        .map(|ids| ids.split(',').map(str::to_string).collect())
        .unwrap_or_default())
}

/// Whether the database has never recorded a post.
fn never_posted(conn: &Connection) -> rusqlite::Result<bool> {
    let rows: i64 = conn.query_row("SELECT count(*) FROM posts", [], |row| row.get(0))?;
    Ok(rows == 0)
}

/// Compares the database with its mirror and the outbox (see the module
/// docs); refuses a database that is not the one the last run left unless
/// `accept` is set. Outbox posts due before `since` (what the daemon looks
/// back on at start) are not counted. On success the database has an
/// identity, the mirror matches it, and every later write through the
/// daemon's writer keeps the mirror current.
pub fn verify(store: &mut Store, since: Timestamp, accept: bool) -> anyhow::Result<Verified> {
    let db = store.path().to_path_buf();
    let mirror_file = mirror_path(&db);
    let found = read(&store.conn)?;
    let outbox = Witness::read(&db, since);
    let accepted = accepted(&store.conn)?;
    // Written by rename and never by hand: an unreadable mirror was
    // damaged by something else. Better a question than a guess.
    let (mirror, damaged) = match read_mirror(&mirror_file) {
        Ok(mirror) => (mirror, None),
        Err(err) => (None, Some(format!("{err:#}"))),
    };
    let compared = match (&mirror, &found) {
        (Some(mirror), None) => Some(format!(
            "{} has no identity (it is empty, new or from an older tweetchat), but {} says \
             the state here is store {} after {} write(s)",
            db.display(),
            mirror_file.display(),
            mirror.id,
            mirror.seq
        )),
        (Some(mirror), Some(found)) if mirror.id != found.id => Some(format!(
            "{} is store {}, but {} says the state here is store {}: the database was \
             replaced by another one",
            db.display(),
            found.id,
            mirror_file.display(),
            mirror.id
        )),
        (Some(mirror), Some(found)) if found.seq < mirror.seq => Some(format!(
            "{} is at write {}, but {} says it reached write {}: it was rolled back (restored \
             from an older copy), and the {} write(s) since, posts among them, are missing",
            db.display(),
            found.seq,
            mirror_file.display(),
            mirror.seq,
            mirror.seq - found.seq
        )),
        (_, Some(found)) if outbox.ahead_of(found).is_some() => Some(format!(
            "{} is store {} at write {}, but the console's outbox beside it holds a post \
             recorded at write {} of that store: it was rolled back (restored from an older \
             copy, its mirror with it), and the posts recorded since are missing",
            db.display(),
            found.id,
            found.seq,
            outbox.ahead_of(found).unwrap_or_default()
        )),
        (None, Some(found)) if damaged.is_none() && outbox.foreign(found, &accepted).is_some() => {
            Some(format!(
                "{} is store {} and {} is missing, but the console's outbox beside it holds \
                 posts due since {since} recorded in store {}: the database was replaced by \
                 another one, its mirror removed with it",
                db.display(),
                found.id,
                mirror_file.display(),
                outbox.foreign(found, &accepted).unwrap_or_default()
            ))
        }
        (Some(_), Some(found)) if outbox.foreign(found, &accepted).is_some() => Some(format!(
            "{} is store {}, as {} says, but the console's outbox beside it holds posts due \
             since {since} recorded in store {}: both files were replaced by another folder's",
            db.display(),
            found.id,
            mirror_file.display(),
            outbox.foreign(found, &accepted).unwrap_or_default()
        )),
        (None, None) if never_posted(&store.conn)? => match outbox.posts {
            0 => None,
            posts => Some(format!(
                "{} has never recorded a post, but the console's outbox beside it holds {posts} \
                 post(s) due since {since}{}: the database was emptied or replaced",
                db.display(),
                outbox
                    .stores
                    .keys()
                    .next()
                    .map_or(String::new(), |id| format!(", recorded in store {id}"))
            )),
        },
        (None, Some(_)) if damaged.is_none() => {
            tracing::warn!(
                "{} was missing; written again from {}",
                mirror_file.display(),
                db.display()
            );
            None
        }
        _ => None,
    };
    let verified = match damaged.or(compared) {
        Some(problem) => {
            refuse_or_accept(&mirror_file, &problem, accept)?;
            Verified::Changed(problem)
        }
        None => Verified::Same,
    };
    let identity = match (&verified, found) {
        (Verified::Same, Some(found)) => found,
        // A new database, or a changed one the operator accepted: it
        // starts a history of its own, beside the outbox lines of the
        // stores before it.
        _ => {
            let identity = create(&store.conn)?;
            let mut beside = accepted;
            beside.extend(outbox.stores.into_keys());
            beside.sort();
            beside.dedup();
            super::sql::kv_set(&store.conn, ACCEPTED_KEY, &beside.join(","))?;
            identity
        }
    };
    write_mirror(&mirror_file, &identity)
        .with_context(|| format!("writing {}", mirror_file.display()))?;
    store.mirror = Some(mirror_file);
    Ok(verified)
}

fn refuse_or_accept(mirror: &Path, problem: &str, accept: bool) -> anyhow::Result<()> {
    if accept {
        tracing::warn!(
            "{problem}; starting anyway ({ACCEPT_FLAG}): every post still inside its grace \
             window is looked up on its platform before it is posted"
        );
        return Ok(());
    }
    bail!(
        "not starting: {problem}. Started on it, the daemon would post again what is already \
         out. Put back the state.db that belongs with {}, or, if this database is meant \
         (restored or replaced on purpose), start once with `tweetchat run {ACCEPT_FLAG}`: \
         every post still inside its grace window is then looked up on its platform first and \
         posted only if it is not there",
        mirror.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::intent;
    use crate::store::{Outcome, SharedStore};

    fn open(dir: &Path) -> Store {
        Store::open(dir).unwrap()
    }

    fn since() -> Timestamp {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_first_start_is_the_same_state_and_writes_the_mirror() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(dir.path());
        assert_eq!(verify(&mut store, since(), false).unwrap(), Verified::Same);
        let mirror = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        assert_eq!(mirror.seq, 0);
        assert_eq!(read(&store.conn).unwrap(), Some(mirror));
        drop(store);
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same
        );
    }

    /// Runs a claim and a result through the daemon's writer, which bumps
    /// the write count and rewrites the mirror.
    async fn write_through_the_writer(dir: &Path, key: &str) {
        let mut store = open(dir);
        verify(&mut store, since(), false).unwrap();
        let (shared, writer) = SharedStore::spawn(store);
        shared
            .claim(vec![intent(key, "2026-12-02T18:05:00Z")])
            .await
            .unwrap();
        shared
            .record(key, Outcome::Skipped("test".into()))
            .await
            .unwrap();
        drop(shared);
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn the_writer_keeps_the_mirror_level_with_the_database() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let mirror = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        let store = open(dir.path());
        let found = read(&store.conn).unwrap().unwrap();
        assert!(mirror.seq >= 2, "{mirror:?}");
        assert_eq!(found, mirror);
    }

    #[tokio::test]
    async fn an_emptied_database_is_refused_and_accepted_only_with_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        for name in ["state.db", "state.db-wal", "state.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(name));
        }
        std::fs::write(dir.path().join("state.db"), b"").unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no identity"), "{err}");
        assert!(err.contains(MIRROR_FILE), "{err}");
        assert!(err.contains(ACCEPT_FLAG), "{err}");
        // Still refused: refusing changed nothing.
        assert!(verify(&mut open(dir.path()), since(), false).is_err());
        let verified = verify(&mut open(dir.path()), since(), true).unwrap();
        assert!(matches!(verified, Verified::Changed(_)), "{verified:?}");
        // Accepted once, it is the state from now on.
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same
        );
    }

    #[tokio::test]
    async fn a_rolled_back_database_is_refused_but_one_ahead_of_its_mirror_is_not() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.path().join("state.db"), copy.path().join("state.db")).unwrap();
        let before = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        write_through_the_writer(dir.path(), "k2").await;
        // Ahead of its mirror (a crash between commit and mirror): fine.
        write_mirror(&dir.path().join(MIRROR_FILE), &before).unwrap();
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same
        );
        write_through_the_writer(dir.path(), "k3").await;
        // The older copy put back: behind its mirror.
        for name in ["state.db-wal", "state.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(name));
        }
        std::fs::copy(copy.path().join("state.db"), dir.path().join("state.db")).unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rolled back"), "{err}");
    }

    #[tokio::test]
    async fn another_database_or_a_damaged_mirror_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let other = tempfile::tempdir().unwrap();
        write_through_the_writer(other.path(), "k1").await;
        std::fs::copy(other.path().join(MIRROR_FILE), dir.path().join(MIRROR_FILE)).unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("replaced by another one"), "{err}");
        std::fs::write(dir.path().join(MIRROR_FILE), "garbage").unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a tweetchat identity file"), "{err}");
    }

    /// An outbox line as the console writes it, stamped with `store`.
    fn stamped_line(dir: &Path, key: &str, store: &Identity) {
        use std::io::Write as _;
        let line = format!(
            "{{\"key\":\"{key}\",\"at\":\"2026-12-02T18:05:00Z\",\"posted_at\":\"2026-12-02T18:05:00Z\",\"text\":\"hi\",\"reply_to\":null,\"store\":{{\"id\":\"{}\",\"seq\":{}}}}}\n",
            store.id, store.seq
        );
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(crate::platform::console::OUTBOX))
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
    }

    #[tokio::test]
    async fn a_database_rolled_back_with_its_mirror_is_known_by_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let copy = tempfile::tempdir().unwrap();
        for name in ["state.db", MIRROR_FILE] {
            std::fs::copy(dir.path().join(name), copy.path().join(name)).unwrap();
        }
        write_through_the_writer(dir.path(), "k2").await;
        let now = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        stamped_line(dir.path(), "k2", &now);
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same,
            "the outbox agrees with the database it was written beside"
        );
        // Both put back from the older copy: they agree with each other.
        for name in ["state.db-wal", "state.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(name));
        }
        for name in ["state.db", MIRROR_FILE] {
            std::fs::copy(copy.path().join(name), dir.path().join(name)).unwrap();
        }
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rolled back"), "{err}");
        assert!(
            err.contains(&format!("write {} of that store", now.seq)),
            "{err}"
        );
    }

    #[tokio::test]
    async fn another_database_without_a_mirror_is_known_by_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let ours = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        stamped_line(dir.path(), "k1", &ours);
        let other = tempfile::tempdir().unwrap();
        write_through_the_writer(other.path(), "k9").await;
        for name in ["state.db-wal", "state.db-shm", MIRROR_FILE] {
            let _ = std::fs::remove_file(dir.path().join(name));
        }
        std::fs::copy(other.path().join("state.db"), dir.path().join("state.db")).unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("its mirror removed with it"), "{err}");
        assert!(err.contains(&ours.id), "{err}");
        // Both files replaced by another folder's: the outbox still knows.
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let ours = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        stamped_line(dir.path(), "k1", &ours);
        for name in ["state.db-wal", "state.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(name));
        }
        for name in ["state.db", MIRROR_FILE] {
            std::fs::copy(other.path().join(name), dir.path().join(name)).unwrap();
        }
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("both files were replaced"), "{err}");
        let accepted = verify(&mut open(dir.path()), since(), true).unwrap();
        assert!(matches!(accepted, Verified::Changed(_)), "{accepted:?}");
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same,
            "accepted once, the older store's lines are known"
        );
        // Its own database with the mirror gone: written again, as before.
        let dir = tempfile::tempdir().unwrap();
        write_through_the_writer(dir.path(), "k1").await;
        let ours = read_mirror(&dir.path().join(MIRROR_FILE)).unwrap().unwrap();
        stamped_line(dir.path(), "k1", &ours);
        std::fs::remove_file(dir.path().join(MIRROR_FILE)).unwrap();
        assert_eq!(
            verify(&mut open(dir.path()), since(), false).unwrap(),
            Verified::Same
        );
    }

    #[test]
    fn an_outbox_beside_a_database_that_never_posted_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::platform::console::OUTBOX),
            "{\"key\":\"k\",\"at\":\"2026-12-02T18:05:00Z\",\"posted_at\":\"2026-12-02T18:05:00Z\",\"text\":\"hi\",\"reply_to\":null}\n",
        )
        .unwrap();
        let err = verify(&mut open(dir.path()), since(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("outbox"), "{err}");
        // Posts older than the look-back could not go out again.
        let later = "2026-12-03T00:00:00Z".parse().unwrap();
        assert!(verify(&mut open(dir.path()), later, false).is_ok());
        std::fs::remove_file(dir.path().join(MIRROR_FILE)).unwrap();
        std::fs::remove_file(dir.path().join("state.db")).unwrap();
        // A database from before identities, with its posts: adopted.
        let mut store = open(dir.path());
        store.claim(&[intent("k", "2026-12-02T18:05:00Z")]).unwrap();
        assert_eq!(verify(&mut store, since(), false).unwrap(), Verified::Same);
    }
}
