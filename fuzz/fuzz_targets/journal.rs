//! Arbitrary bytes as a conversation journal: splitting into records must
//! never panic, the records and the damage between them cover the bytes
//! exactly, and every record re-frames to exactly the bytes it was read from.
#![no_main]

use bedrock_host::conversations::storage::{frame, scan_records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scan = scan_records(data, 0);
    let mut pieces: Vec<(usize, usize)> = scan
        .records
        .iter()
        .map(|&(at, payload)| {
            let reframed = frame(payload);
            assert_eq!(reframed, &data[at..at + reframed.len()]);
            (at, at + reframed.len())
        })
        .chain(scan.damage.iter().map(|damage| (damage.start, damage.end)))
        .collect();
    pieces.sort();
    let mut at = 0;
    for (start, end) in pieces {
        assert_eq!(start, at);
        assert!(end > start);
        at = end;
    }
    assert_eq!(at, data.len());
});
