//! Decoding messages with mail-parser (ISO-2022-JP, Shift_JIS, EUC-JP, RFC 2047/2231) and composing
//! them. Filled in by the sync and sending issues.
