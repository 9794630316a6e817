//! What the lint remembers of earlier records for `DUPLICATE_TOKEN` and
//! `DUPLICATE_REFERENCE`: keyed 128-bit hashes, never a token or a
//! reference.
//!
//! Per token seen: a 16-byte hash and the position of its first record (24
//! bytes). Per reference of a valid `ACTIVE` record seen first: a 16-byte
//! hash, the position of that record, and which token it has: in a plain
//! run the position of that token's first record (32 bytes; two records
//! have the same token exactly when their tokens' first positions are
//! equal), in a shard the token's 16-byte hash (40 bytes; a shard holds
//! only the tokens of its share, so a reference of its share may have a
//! token whose first position it never saw). With the tables' control
//! bytes and free slots, a plain run holds about 60 bytes per record at
//! best and 130 right after a table grew.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use sha2::{Digest, Sha256};

/// A keyed 128-bit hash of a token or a reference.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key([u64; 2]);

/// A token as the duplicate tables know it: its keyed 128-bit hash
/// ([`Seen::token_key`]), which means nothing outside this run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenKey(Key);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The key is already a uniform hash: half of it is a good bucket index.
        state.write_u64(self.0[0]);
    }
}

/// Passes the key's own bits through (see `Key::hash`).
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if a key type other than `Key` were hashed: fold the
        // bytes in so that the result is still a function of all of them.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard<V> = HashMap<Key, V, BuildHasherDefault<PassThrough>>;

/// How many shards a table is split into. A hash table that grows holds its
/// old and its new buckets at once; with one big table that would be 1.5×
/// its size at the worst moment (1.5 GB for ten million records). Split in
/// shards, only one shard at a time is in that state.
const SHARDS: usize = 256;

/// A hash table in [`SHARDS`] parts, chosen by bits of the key that the
/// bucket index does not use.
struct Table<V> {
    shards: Vec<Shard<V>>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table { shards: (0..SHARDS).map(|_| Shard::default()).collect() }
    }
}

impl<V> Table<V> {
    fn entry(&mut self, key: Key) -> Entry<'_, Key, V> {
        let shard = (key.0[1] % SHARDS as u64) as usize;
        self.shards[shard].entry(key)
    }

    fn capacity(&self) -> usize {
        self.shards.iter().map(HashMap::capacity).sum()
    }
}

/// Where the first valid `ACTIVE` record with a reference is, and which
/// token it has (`T`: the position of the token's first record, or its
/// hash).
#[derive(Clone, Copy)]
struct FirstActive<T> {
    at: u64,
    token: T,
}

/// A record's token as [`Seen::active_reference`] compares it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TokenId {
    /// The position of the token's first record (a plain run, [`Seen::new`]).
    First(u64),
    /// The token's hash (a shard, [`Seen::sharded`]).
    Hash(TokenKey),
}

/// The reference table: by the token's first position, or by its hash.
enum References {
    ByFirst(Table<FirstActive<u64>>),
    ByHash(Table<FirstActive<Key>>),
}

/// The duplicate tables of one lint run.
pub struct Seen {
    /// A random key per run: the hashes mean nothing outside this process,
    /// and nobody can craft inputs that collide in it.
    run_key: [u8; 32],
    tokens: Table<u64>,
    references: References,
}

const TOKEN_DOMAIN: u8 = b't';
const REFERENCE_DOMAIN: u8 = b'r';

fn random_run_key() -> [u8; 32] {
    // std's RandomState is seeded from the operating system's random source
    // (and varies per instance): four draws give 256 key bits.
    let mut key = [0u8; 32];
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_usize(i);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    key
}

impl Default for Seen {
    fn default() -> Self {
        Seen::new()
    }
}

impl Seen {
    /// An empty record of tokens and references, keyed for this run.
    pub fn new() -> Self {
        Seen { run_key: random_run_key(), tokens: Table::default(), references: References::ByFirst(Table::default()) }
    }

    /// The tables of a shard: a reference remembers its token's hash.
    pub fn sharded() -> Self {
        Seen { references: References::ByHash(Table::default()), ..Seen::new() }
    }

    /// Whether [`Seen::active_reference`] takes [`TokenId::Hash`].
    pub fn by_hash(&self) -> bool {
        matches!(self.references, References::ByHash(_))
    }

    fn key(&self, domain: u8, bytes: &[u8]) -> Key {
        let digest = Sha256::new().chain_update(self.run_key).chain_update([domain]).chain_update(bytes).finalize();
        let half = |i: usize| u64::from_le_bytes(digest[i..i + 8].try_into().expect("eight bytes"));
        Key([half(0), half(8)])
    }

    /// The keyed hash of a token, for [`Seen::token`] and
    /// [`Seen::active_reference`].
    pub fn token_key(&self, token: &[u8]) -> TokenKey {
        TokenKey(self.key(TOKEN_DOMAIN, token))
    }

    /// The position of the first record with this token, remembering `at`
    /// as that position when the token is new.
    pub fn token(&mut self, token: TokenKey, at: u64) -> u64 {
        *self.tokens.entry(token.0).or_insert(at)
    }

    /// For a valid `ACTIVE` record at `at` with a non-empty `reference` and
    /// the token `token`: the position of the first earlier such record
    /// with the same reference when its token differs. The first record
    /// with a reference is remembered; later ones never replace it
    /// (only the first earlier record counts).
    pub fn active_reference(&mut self, reference: &[u8], at: u64, token: TokenId) -> Option<u64> {
        let key = self.key(REFERENCE_DOMAIN, reference);
        match (&mut self.references, token) {
            (References::ByFirst(table), TokenId::First(first)) => first_active(table.entry(key), at, first),
            (References::ByHash(table), TokenId::Hash(hash)) => first_active(table.entry(key), at, hash.0),
            _ => panic!("a plain run's tables take TokenId::First, a shard's TokenId::Hash"),
        }
    }

    /// Bytes held by the tables (capacity, not just what is used).
    pub fn heap_bytes(&self) -> usize {
        let slot = |entry: usize| entry + 1; // one control byte per bucket
        let references = match &self.references {
            References::ByFirst(t) => t.capacity() * slot(std::mem::size_of::<(Key, FirstActive<u64>)>()),
            References::ByHash(t) => t.capacity() * slot(std::mem::size_of::<(Key, FirstActive<Key>)>()),
        };
        self.tokens.capacity() * slot(std::mem::size_of::<(Key, u64)>()) + references
    }
}

/// The first record of a reference is remembered; a later one is reported
/// (its first record's position) when its token differs.
fn first_active<T: Copy + PartialEq>(entry: Entry<'_, Key, FirstActive<T>>, at: u64, token: T) -> Option<u64> {
    match entry {
        Entry::Occupied(first) => {
            let first = *first.get();
            (first.token != token).then_some(first.at)
        }
        Entry::Vacant(slot) => {
            slot.insert(FirstActive { at, token });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_position_wins_and_tables_hold_hashes_only() {
        for mut seen in [Seen::new(), Seen::sharded()] {
            let (a, b) = (seen.token_key(b"krn:customer-token:eu1:a"), seen.token_key(b"krn:customer-token:eu1:b"));
            assert_eq!(seen.token(a, 1), 1);
            assert_eq!(seen.token(b, 2), 2);
            assert_eq!(seen.token(a, 3), 1);
            let (a, b) = if seen.by_hash() {
                (TokenId::Hash(a), TokenId::Hash(b))
            } else {
                (TokenId::First(1), TokenId::First(2))
            };
            // A, B, C of the contract: B differs from A, C has A's token.
            assert_eq!(seen.active_reference(b"r", 1, a), None);
            assert_eq!(seen.active_reference(b"r", 2, b), Some(1));
            assert_eq!(seen.active_reference(b"r", 3, a), None);
            // A token and a reference with the same bytes are different keys.
            assert_eq!(seen.active_reference(b"krn:customer-token:eu1:b", 4, a), None);
        }
    }

    #[test]
    fn two_runs_hash_differently() {
        let (a, b) = (Seen::new(), Seen::new());
        assert!(a.run_key != b.run_key);
        assert!(a.key(TOKEN_DOMAIN, b"x") != b.key(TOKEN_DOMAIN, b"x"));
    }

    /// docs/VAULT.md: about 128 bytes per record. Measured on the tables'
    /// capacity (what is allocated, not what is used) at many sizes, so a
    /// size just after a table grew is among them.
    #[test]
    fn about_128_bytes_per_record() {
        let mut seen = Seen::new();
        let mut worst: f64 = 0.0;
        for at in 1..=200_000u64 {
            let bytes = at.to_le_bytes();
            let key = seen.token_key(&bytes);
            assert_eq!(seen.token(key, at), at);
            assert_eq!(seen.active_reference(&bytes, at, TokenId::First(at)), None);
            if at >= 20_000 && at % 1000 == 0 {
                worst = worst.max(seen.heap_bytes() as f64 / at as f64);
            }
        }
        assert!(worst <= 140.0, "{worst:.0} bytes per record");
        assert!(worst >= 50.0, "{worst:.0} bytes per record: heap_bytes does not measure the tables");
    }
}
