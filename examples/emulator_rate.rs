//! The emulator's zero-delay streaming rate, measured with the real SDK over loopback HTTP:
//! events/s for one ConverseStream of many deltas, and for 64 streams at once.
//!
//! `cargo run --example emulator_rate [-- WORDS_PER_STREAM]` (debug or `--release`; say which when quoting).

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use bedrock_host::emulator::{self, EmulatorConfig, Script};

const CONCURRENT: usize = 64;

async fn stream_events(client: &Client) -> anyhow::Result<u64> {
    let message = Message::builder().role(ConversationRole::User).content(ContentBlock::Text("go".into())).build()?;
    let output =
        client.converse_stream().model_id("anthropic.claude-3-haiku-20240307-v1:0").messages(message).send().await?;
    let mut stream = output.stream;
    let mut events = 0;
    while stream.recv().await?.is_some() {
        events += 1;
    }
    Ok(events)
}

fn rate(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let words: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(20_000);
    let text = vec!["word"; words].join(" ");
    let script = serde_json::json!({"rules": [{"respond": {"content": [{"text": text}]}}]});
    let mut config = EmulatorConfig::loopback();
    config.script = Some(Script::from_json(&script.to_string())?);
    config.journal_limit = 16;
    let emulator = emulator::start(config).await?;
    let client = Client::from_conf(
        aws_sdk_bedrockruntime::Config::builder()
            .endpoint_url(emulator.base_url())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .behavior_version_latest()
            .build(),
    );

    let started = Instant::now();
    let events = stream_events(&client).await?;
    let elapsed = started.elapsed();
    println!("one stream: {events} events in {elapsed:.2?} = {:.0} events/s", rate(events, elapsed));

    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { stream_events(&client).await })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "{CONCURRENT} streams: {total} events in {elapsed:.2?} = {:.0} events/s in total ({:.0} per stream)",
        rate(total, elapsed),
        rate(total, elapsed) / CONCURRENT as f64
    );
    emulator.shutdown().await;
    Ok(())
}
