//! Error mapping and retries of the Bedrock gateway: the real SDK over real
//! HTTP against a loopback server answering canned Bedrock wire responses.

use std::sync::{Arc, Mutex};

use bedrock_host::HostError;
use bedrock_host::sdk::{BedrockGateway, CallOptions, GatewaySettings, InvokeModelRequest, RetryNotice};

use crate::support::canned::{Canned, CannedServer};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn gateway(server: &CannedServer, max_attempts: u32) -> BedrockGateway {
    BedrockGateway::new(GatewaySettings {
        region: Some("us-west-2".into()),
        endpoint_url: Some(server.base_url.clone()),
        max_attempts: Some(max_attempts),
        static_credentials: Some(("AKIDTEST".into(), "secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .expect("gateway builds")
}

fn recording() -> (CallOptions, Arc<Mutex<Vec<RetryNotice>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let options = CallOptions { on_retry: Some(Arc::new(move |notice| sink.lock().unwrap().push(notice))) };
    (options, notices)
}

fn request() -> InvokeModelRequest {
    InvokeModelRequest { body: br#"{"prompt":"hi"}"#.to_vec().into(), ..InvokeModelRequest::default() }
}

#[tokio::test]
async fn throttling_is_retried_and_each_retry_announced_before_it_is_sent() {
    let server = CannedServer::start(vec![
        Canned::exception(429, "ThrottlingException", "Too many tokens, please wait before trying again."),
        Canned::exception(429, "ThrottlingException", "Too many tokens, please wait before trying again."),
        Canned::json(200, r#"{"completion":"hello"}"#),
    ])
    .await;
    let gateway = gateway(&server, 3).await;
    let (options, notices) = recording();

    let response = gateway.invoke_model(MODEL, request(), &options).await.expect("third attempt succeeds");

    assert_eq!(response.body_json(), Some(serde_json::json!({"completion": "hello"})));
    assert_eq!(response.content_type, "application/json");
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.iter().map(|n| n.attempt).collect::<Vec<_>>(), vec![2, 3]);
    for notice in &notices {
        assert_eq!(notice.error_code, "ThrottlingException");
        assert_eq!(notice.message, "Too many tokens, please wait before trying again.");
    }
    let received = server.received();
    assert_eq!(received.len(), 3);
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke");
        assert_eq!(request.body, br#"{"prompt":"hi"}"#);
    }
}

#[tokio::test]
async fn exhausted_throttling_reports_every_attempt_and_is_not_a_context_window_problem() {
    let throttled = Canned::exception(429, "ThrottlingException", "Too many tokens, please wait before trying again.");
    let server = CannedServer::start(vec![throttled.clone(), throttled]).await;
    let gateway = gateway(&server, 2).await;
    let (options, notices) = recording();

    let error = gateway.invoke_model(MODEL, request(), &options).await.expect_err("throttled twice");

    assert_eq!(error.code(), -32001);
    let object = error.to_error_object();
    assert_eq!(object["data"]["bedrockCode"], "ThrottlingException");
    assert_eq!(object["data"]["httpStatus"], 429);
    assert_eq!(object["data"]["retryable"], true);
    assert_eq!(object["data"]["attempts"], 2);
    assert_eq!(object["data"]["requestId"], "req-429");
    let message = error.to_string();
    assert!(message.contains("not a context-window limit"), "{message}");
    assert!(message.contains("Too many tokens, please wait before trying again."), "{message}");
    assert!(message.contains(MODEL) && message.contains("us-west-2"), "{message}");
    assert_eq!(notices.lock().unwrap().len(), 1);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn validation_is_not_retried_and_keeps_bedrocks_message_verbatim() {
    let server = CannedServer::start(vec![Canned::exception(
        400,
        "ValidationException",
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
    )])
    .await;
    let gateway = gateway(&server, 3).await;
    let (options, notices) = recording();

    let error = gateway.invoke_model(MODEL, request(), &options).await.expect_err("validation fails");

    let object = error.to_error_object();
    assert_eq!(
        object["data"],
        serde_json::json!({
            "bedrockCode": "ValidationException", "httpStatus": 400, "retryable": false, "attempts": 1,
            "requestId": "req-400"
        })
    );
    assert_eq!(
        error.to_string(),
        format!(
            "Bedrock rejected the InvokeModel request for model `{MODEL}`: Malformed input request: #: required key \
             [messages] not found, please reformat your input and try again."
        )
    );
    assert!(notices.lock().unwrap().is_empty());
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn access_denied_names_model_region_and_iam_action() {
    let server = CannedServer::start(vec![Canned::exception(
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    )])
    .await;
    let gateway = gateway(&server, 3).await;

    let error = gateway.invoke_model(MODEL, request(), &CallOptions::default()).await.expect_err("denied");

    assert_eq!(error.to_error_object()["data"]["bedrockCode"], "AccessDeniedException");
    assert_eq!(error.to_error_object()["data"]["httpStatus"], 403);
    let message = error.to_string();
    assert!(message.contains(&format!("model `{MODEL}`")), "{message}");
    assert!(message.contains("region `us-west-2`"), "{message}");
    assert!(message.contains("`bedrock:InvokeModel`"), "{message}");
}

#[tokio::test]
async fn server_errors_are_retryable_and_not_found_names_the_model() {
    let server = CannedServer::start(vec![
        Canned::exception(503, "ServiceUnavailableException", "Bedrock is unavailable."),
        Canned::exception(404, "ResourceNotFoundException", "Model not found."),
    ])
    .await;
    let gateway = gateway(&server, 2).await;
    let (options, notices) = recording();

    let error = gateway.invoke_model(MODEL, request(), &options).await.expect_err("not found after a retry");

    let object = error.to_error_object();
    assert_eq!(object["data"]["bedrockCode"], "ResourceNotFoundException");
    assert_eq!(object["data"]["retryable"], false);
    assert_eq!(object["data"]["attempts"], 2);
    assert!(error.to_string().contains(&format!("no model `{MODEL}` in region `us-west-2`")), "{error}");
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].error_code, "ServiceUnavailableException");
    assert_eq!(notices[0].attempt, 2);
}

#[tokio::test]
async fn nothing_listening_is_unreachable_with_the_attempts_made() {
    // Bind then drop a listener: the port is free and refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let gateway = BedrockGateway::new(GatewaySettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        max_attempts: Some(2),
        static_credentials: Some(("AKIDTEST".into(), "secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .unwrap();
    let (options, notices) = recording();

    let error = gateway.invoke_model(MODEL, request(), &options).await.expect_err("connection refused");

    assert!(matches!(error, HostError::Unreachable { attempts: 2, .. }), "{error:?}");
    assert_eq!(error.code(), -32005);
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].error_code, "ConnectionError");
}

#[tokio::test]
async fn a_request_timeout_is_unreachable_and_its_retry_announced_as_a_timeout() {
    let mut slow = Canned::json(200, r#"{"completion":"late"}"#);
    // Long enough to outlast the 200 ms timeout on any machine; the client gives up first.
    slow.delay = Some(std::time::Duration::from_secs(5));
    let server = CannedServer::start(vec![slow.clone(), slow]).await;
    let gateway = BedrockGateway::new(GatewaySettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(server.base_url.clone()),
        max_attempts: Some(2),
        request_timeout: Some(std::time::Duration::from_millis(200)),
        static_credentials: Some(("AKIDTEST".into(), "secret".into())),
        ..GatewaySettings::default()
    })
    .await
    .unwrap();
    let (options, notices) = recording();

    let error = gateway.invoke_model(MODEL, request(), &options).await.expect_err("times out");

    assert!(matches!(error, HostError::Unreachable { attempts: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("requestTimeoutMs"), "{error}");
    let notices = notices.lock().unwrap().clone();
    assert_eq!(notices.iter().map(|n| n.error_code.as_str()).collect::<Vec<_>>(), ["Timeout"]);
}
