//! Record keys derived from slot keys, so a retried create cannot post twice.
//!
//! A post's record key (`rkey`, the last part of its `at://` URI) is chosen
//! by the client. If it is a pure function of the slot key, a second
//! `createRecord` for the same slot can only hit the same record: the PDS
//! refuses it (with a 500, not a conflict, on `@atproto/pds` 0.5), and
//! `getRecord` on the same key tells whether the first one landed.
//!
//! `app.bsky.feed.post` wants TID-shaped keys: 13 characters of the
//! base32-sortable alphabet encoding a 64-bit integer whose top bit is zero,
//! 53 bits of microseconds since 1970 and 10 bits of "clock id". Ours takes
//! 60 bits of SHA-256 of the slot key: 50 go to the microseconds, offset from
//! 2023-01-01 so the key looks like a real one of the years 2023–2058, and
//! 10 to the clock id. Two slot keys collide with a chance of about one in
//! 10^18.

use sha2::{Digest, Sha256};

/// The base32-sortable alphabet of TIDs.
const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// 2023-01-01T00:00:00Z in microseconds.
const EPOCH_2023_MICROS: u64 = 1_672_531_200_000_000;

/// The record key of the post with this slot key.
pub fn record_key(slot_key: &str) -> String {
    let digest = Sha256::digest(slot_key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bits = u64::from_be_bytes(first) >> 4; // 60 bits
    let micros = EPOCH_2023_MICROS + (bits >> 10);
    let clock_id = bits & 0x3ff;
    encode((micros << 10) | clock_id)
}

/// `value` (top bit zero) as 13 base32-sortable characters.
fn encode(value: u64) -> String {
    (0..13)
        .rev()
        .map(|i| ALPHABET[((value >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// Whether `rkey` has the TID syntax of the atproto specification.
pub fn is_tid(rkey: &str) -> bool {
    rkey.len() == 13
        && rkey.bytes().all(|b| ALPHABET.contains(&b))
        && b"234567abcdefghij".contains(&rkey.as_bytes()[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_always_gives_the_same_tid() {
        let key = "hcsmbm/2026-12-02T12:00/question/1/main_bsky";
        assert_eq!(record_key(key), record_key(key));
        assert!(is_tid(&record_key(key)), "{}", record_key(key));
        assert_ne!(record_key(key), record_key(&format!("{key}x")));
    }

    #[test]
    fn tids_look_like_recent_ones() {
        // Real TIDs of 2023 and later start with 3; ours stay below 2058.
        for i in 0..2000 {
            let rkey = record_key(&format!("chat/{i}"));
            assert!(is_tid(&rkey), "{rkey}");
            assert!(rkey.starts_with(['3', '4']), "{rkey}");
        }
    }

    #[test]
    fn encoding_matches_the_specification() {
        // The zero TID and one microsecond after it, per the atproto spec's
        // base32-sortable encoding.
        assert_eq!(encode(0), "2222222222222");
        assert_eq!(encode(1 << 10), "2222222222322");
        assert!(!is_tid("k222222222222"));
        assert!(!is_tid("3kabcdefghi2"));
    }

    #[test]
    fn thanks_parts_of_one_slot_get_distinct_keys() {
        let slot = "c/2026-12-02T12:00/thanks/acct";
        let keys: std::collections::BTreeSet<String> = (0..50)
            .map(|k| record_key(&format!("{slot}#{k}")))
            .collect();
        assert_eq!(keys.len(), 50);
    }
}
