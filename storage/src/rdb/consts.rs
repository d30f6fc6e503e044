//! Constants of the RDB format: magic strings, opcodes, value type bytes, length
//! and string encodings. Names follow Redis's `rdb.h` so they can be grepped for.

/// Magic of Redis files and of Valkey files up to RDB 11: `REDIS` + 4 ASCII digits.
pub const MAGIC_REDIS: &[u8; 5] = b"REDIS";
/// Magic of Valkey 9+ files (RDB 80+): `VALKEY` + 3 ASCII digits.
pub const MAGIC_VALKEY: &[u8; 6] = b"VALKEY";
/// Number of version digits after [`MAGIC_REDIS`].
pub const REDIS_VERSION_DIGITS: usize = 4;
/// Number of version digits after [`MAGIC_VALKEY`].
pub const VALKEY_VERSION_DIGITS: usize = 3;
/// Both header forms are 9 bytes long.
pub const HEADER_LEN: usize = MAGIC_REDIS.len() + REDIS_VERSION_DIGITS;
const _: () = assert!(MAGIC_VALKEY.len() + VALKEY_VERSION_DIGITS == HEADER_LEN);

/// Oldest RDB version we read.
pub const MIN_VERSION: u16 = 1;
/// Newest Redis-compatible RDB version (Redis 7.2, Valkey 7.2/8.x).
pub const MAX_REDIS_VERSION: u16 = 11;
/// Valkey 9.0's RDB version (magic `VALKEY`).
pub const VALKEY_VERSION_80: u16 = 80;
/// Versions 12..=79 are Redis's non open-source formats (Redis 7.4+): refused.
pub const FOREIGN_VERSION_MIN: u16 = 12;
/// See [`FOREIGN_VERSION_MIN`].
pub const FOREIGN_VERSION_MAX: u16 = 79;
/// First version with a CRC-64 after the EOF opcode.
pub const MIN_CHECKSUM_VERSION: u16 = 5;
/// Length of the CRC-64 trailer.
pub const CHECKSUM_LEN: usize = 8;

// Opcodes (saved where a type byte would be; they grow down from 255).
pub const OPCODE_SLOT_INFO: u8 = 244;
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

// Value types.
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE_PRE_GA: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_SET_LISTPACK: u8 = 20;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;
/// Valkey 9 (RDB 80): hash whose fields carry their own expiry.
pub const TYPE_HASH_2: u8 = 22;

/// Lowest RDB version that may contain each type byte (for the reader's checks and the writer).
pub const fn min_version_for_type(t: u8) -> u16 {
    match t {
        TYPE_HASH_LISTPACK | TYPE_ZSET_LISTPACK | TYPE_LIST_QUICKLIST_2 | TYPE_STREAM_LISTPACKS_2 => 10,
        TYPE_SET_LISTPACK | TYPE_STREAM_LISTPACKS_3 => 11,
        TYPE_HASH_2 => VALKEY_VERSION_80,
        _ => 1,
    }
}

/// Human name of a value type, as `redis-check-rdb` prints it.
pub fn type_name(t: u8) -> &'static str {
    match t {
        TYPE_STRING => "string",
        TYPE_LIST => "list-linked",
        TYPE_SET => "set-hashtable",
        TYPE_ZSET => "zset-v1",
        TYPE_HASH => "hash-hashtable",
        TYPE_ZSET_2 => "zset-v2",
        TYPE_MODULE_PRE_GA => "module-pre-release",
        TYPE_MODULE_2 => "module-value",
        TYPE_HASH_ZIPMAP => "hash-zipmap",
        TYPE_LIST_ZIPLIST => "list-ziplist",
        TYPE_SET_INTSET => "set-intset",
        TYPE_ZSET_ZIPLIST => "zset-ziplist",
        TYPE_HASH_ZIPLIST => "hash-ziplist",
        TYPE_LIST_QUICKLIST => "quicklist",
        TYPE_STREAM_LISTPACKS => "stream",
        TYPE_HASH_LISTPACK => "hash-listpack",
        TYPE_ZSET_LISTPACK => "zset-listpack",
        TYPE_LIST_QUICKLIST_2 => "quicklist-v2",
        TYPE_STREAM_LISTPACKS_2 => "stream-v2",
        TYPE_SET_LISTPACK => "set-listpack",
        TYPE_STREAM_LISTPACKS_3 => "stream-v3",
        TYPE_HASH_2 => "hash-with-field-ttl",
        _ => "unknown",
    }
}

// Length encoding: the two high bits of the first byte.
pub const LEN_6BIT: u8 = 0;
pub const LEN_14BIT: u8 = 1;
pub const LEN_32BIT: u8 = 0x80;
pub const LEN_64BIT: u8 = 0x81;
pub const LEN_ENCVAL: u8 = 3;
/// Largest length stored in one byte.
pub const LEN_6BIT_MAX: u64 = (1 << 6) - 1;
/// Largest length stored in two bytes.
pub const LEN_14BIT_MAX: u64 = (1 << 14) - 1;

// Special string encodings (after a `11xxxxxx` length byte).
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

/// Quicklist 2 node containers.
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
pub const QUICKLIST_NODE_PACKED: u64 = 2;

/// Stream consumer-group `entries_read` meaning "unknown" (`SCG_INVALID_ENTRIES_READ`, -1 saved as a length).
pub const STREAM_INVALID_ENTRIES_READ: u64 = u64::MAX;
/// Stream listpack entry flags.
pub const STREAM_ITEM_FLAG_DELETED: i64 = 1;
pub const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;

/// Old (RDB < 8) zset string scores: special lengths for NaN and infinities.
pub const ZSET_SCORE_NAN: u8 = 253;
pub const ZSET_SCORE_POS_INF: u8 = 254;
pub const ZSET_SCORE_NEG_INF: u8 = 255;

/// Module ids: 54 bits of name (9 characters of 6 bits) and 10 bits of encoding version.
pub const MODULE_ID_CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const MODULE_ID_VERSION_BITS: u32 = 10;
pub const MODULE_NAME_LEN: usize = 9;

/// Opcodes of self-described module data (`RDB_MODULE_OPCODE_*`): module aux data and
/// `RDB_TYPE_MODULE_2` values are a sequence of these items ending with `EOF`.
pub const MODULE_OPCODE_EOF: u64 = 0;
pub const MODULE_OPCODE_SINT: u64 = 1;
pub const MODULE_OPCODE_UINT: u64 = 2;
pub const MODULE_OPCODE_FLOAT: u64 = 3;
pub const MODULE_OPCODE_DOUBLE: u64 = 4;
pub const MODULE_OPCODE_STRING: u64 = 5;
