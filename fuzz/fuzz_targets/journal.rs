//! Arbitrary bytes as a conversation journal: splitting into records must
//! never panic, and what it keeps re-frames to exactly the bytes it kept.
#![no_main]

use bedrock_host::conversations::storage::{frame, read_records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let records = read_records(data, 0);
    assert!(records.good_len <= data.len());
    assert_eq!(records.torn.is_none(), records.good_len == data.len());
    let reframed: Vec<u8> = records.payloads.iter().flat_map(|payload| frame(payload)).collect();
    assert_eq!(reframed, &data[..records.good_len]);
});
