//! Arbitrary bytes on stdin: the frame reader (both framings, any read
//! sizes, small frame limits) and JSON-RPC message parsing must never panic,
//! hang or hand over a body larger than the limit.
#![no_main]

use bedrock_host::transport::{Frame, FrameReader, message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the reader's set-up; the rest is the input stream.
    let [limit, capacity, input @ ..] = data else { return };
    let max_frame_bytes = usize::from(*limit) * 4;
    let capacity = usize::from(*capacity).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime");
    runtime.block_on(async {
        let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(capacity, input), max_frame_bytes);
        // Every frame consumes input, so the loop ends; the bound only guards a regression.
        for _ in 0..=input.len() {
            match reader.next_frame().await.expect("reading a byte slice does not fail") {
                None => return,
                Some(Frame::Body(body)) => {
                    assert!(body.len() <= max_frame_bytes, "a body of {} bytes over the limit", body.len());
                    let _ = message::parse(&body);
                }
                Some(Frame::Oversize { .. } | Frame::BadHeader(_)) => {}
            }
        }
        panic!("more frames than input bytes");
    });
});
