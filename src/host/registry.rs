//! The method registry: one typed handler per method, and what a handler is given.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::session::Session;
use crate::error::{HostError, HostResult};
use crate::transport::{ClientHandle, RequestId};

/// What a handler gets besides its params.
#[derive(Clone)]
pub struct RequestContext {
    /// The JSON-RPC id of the request (notifications it causes carry it as `requestId`).
    pub id: RequestId,
    /// Cancelled by `$/cancelRequest` or the end of the session. The handler's
    /// future is dropped on cancellation; watch the token only to stop work
    /// the handler spawned itself.
    pub cancel: CancellationToken,
    /// What the request produced so far; sent as `data.partial` if it is cancelled.
    pub partial: PartialResult,
    /// Call [`Completion::commit`] just before making a result permanent.
    pub completion: super::dispatch::Completion,
    /// Notifications and requests to the client.
    pub client: ClientHandle,
    pub session: Arc<Session>,
}

/// A slot for what a request has produced so far (e.g. a turn's text), so
/// that its -32800 answer can carry `data.partial` although the handler's
/// future is dropped on cancellation.
#[derive(Clone, Default)]
pub struct PartialResult(Arc<Mutex<Option<PartialSource>>>);

/// A long stream would make a fresh snapshot per event quadratic, so a
/// handler may instead hand over a function that builds the snapshot only
/// when a cancellation needs it.
enum PartialSource {
    Value(Value),
    Snapshot(Arc<dyn Fn() -> Value + Send + Sync>),
}

impl PartialResult {
    /// Replaces what was recorded.
    pub fn set(&self, produced: Value) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(PartialSource::Value(produced));
    }

    /// Records a function that builds what was produced, called at most once, on cancellation.
    pub fn set_snapshot(&self, snapshot: Arc<dyn Fn() -> Value + Send + Sync>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(PartialSource::Snapshot(snapshot));
    }

    pub(super) fn take(&self) -> Option<Value> {
        let source = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        source.map(|source| match source {
            PartialSource::Value(value) => value,
            PartialSource::Snapshot(snapshot) => snapshot(),
        })
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = HostResult<Value>> + Send>>;
pub(super) type Handler = Arc<dyn Fn(RequestContext, Option<Value>) -> HandlerFuture + Send + Sync>;

/// Request methods by name, and what the host announces in `initialize`.
#[derive(Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, Handler>,
    notifications: Vec<&'static str>,
    features: Vec<&'static str>,
}

impl Registry {
    /// Serves `method` with `handler`; its params are parsed with [`parse_params`].
    pub fn add<P, R, F, Fut>(&mut self, method: &'static str, handler: F)
    where
        P: DeserializeOwned + Send + 'static,
        R: Serialize + 'static,
        F: Fn(RequestContext, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HostResult<R>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: Handler = Arc::new(move |context, params| {
            let handler = handler.clone();
            Box::pin(async move {
                let params = parse_method_params::<P>(method, params)?;
                let result = handler(context, params).await?;
                serde_json::to_value(result)
                    .map_err(|error| HostError::Internal(format!("the result does not serialize to JSON: {error}")))
            })
        });
        let previous = self.handlers.insert(method, erased);
        assert!(previous.is_none(), "method `{method}` is registered twice");
    }

    /// Announces a notification the host may send (`capabilities.notifications`).
    pub fn sends(&mut self, notification: &'static str) {
        self.notifications.push(notification);
    }

    /// Announces a named feature (`capabilities.features`).
    pub fn feature(&mut self, feature: &'static str) {
        self.features.push(feature);
    }

    pub(super) fn get(&self, method: &str) -> Option<Handler> {
        self.handlers.get(method).cloned()
    }

    /// Registered request methods, sorted.
    pub fn methods(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }

    pub fn notifications(&self) -> &[&'static str] {
        &self.notifications
    }

    pub fn features(&self) -> &[&'static str] {
        &self.features
    }
}

/// Params of a method that takes none (`{}`); unknown fields are refused.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyParams {}

pub use crate::protocol::parse_params;

/// [`parse_params`], and when it fails, every other bad field the method's
/// params schema finds too: serde stops at the first problem, and a client
/// fixing a request wants them all at once. Fields inside the one serde named
/// are left to its (more precise) message.
fn parse_method_params<P: DeserializeOwned>(method: &str, params: Option<Value>) -> HostResult<P> {
    let snapshot = params.clone();
    match parse_params::<P>(params) {
        Err(HostError::InvalidParams { summary, mut errors }) => {
            let value = snapshot.unwrap_or_else(|| Value::Object(Default::default()));
            let overlaps = |a: &str, b: &str| {
                let within = |inner: &str, outer: &str| {
                    inner == outer
                        || (!outer.is_empty()
                            && inner
                                .strip_prefix(outer)
                                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('[')))
                };
                within(a, b) || within(b, a)
            };
            for (path, message) in crate::protocol::params_schema_errors(method, &value) {
                if !errors.iter().any(|known| overlaps(&known.path, &path)) {
                    errors.push(crate::error::FieldError::new(path, message));
                }
            }
            let summary = if errors.len() > 1 {
                errors.iter().map(|e| format!("`{}`: {}", e.path, e.message)).collect::<Vec<_>>().join("; ")
            } else {
                summary
            };
            Err(HostError::InvalidParams { summary, errors })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Message {
        role: String,
        content: Vec<Block>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Block {
        text: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Params {
        model_id: String,
        messages: Vec<Message>,
    }

    fn field_error(params: Value) -> FieldError {
        match parse_params::<Params>(Some(params)) {
            Err(HostError::InvalidParams { mut errors, .. }) => errors.remove(0),
            other => panic!("expected invalid params, got {other:?}"),
        }
    }

    #[test]
    fn paths_name_the_bad_field() {
        let error = field_error(json!({"modelId": "m", "messages": [{"role": "user", "content": [{"text": 5}]}]}));
        assert_eq!(error.path, "messages[0].content[0].text");
        assert_eq!(error.message, "invalid type: integer `5`, expected a string");
        let error = field_error(json!({"messages": []}));
        assert_eq!(error, FieldError::new("modelId", "missing field `modelId`"));
        let error = field_error(json!({"modelId": "m", "messages": [{"role": "user", "content": [{"txt": "a"}]}]}));
        assert_eq!(error.path, "messages[0].content[0].txt");
    }

    #[test]
    fn valid_params_parse() {
        let params: Params =
            parse_params(Some(json!({"modelId": "m", "messages": [{"role": "user", "content": [{"text": "hi"}]}]})))
                .expect("valid params");
        assert_eq!((params.model_id.as_str(), params.messages[0].role.as_str()), ("m", "user"));
        assert_eq!(params.messages[0].content[0].text, "hi");
    }

    #[test]
    fn missing_params_are_an_empty_object() {
        assert!(parse_params::<EmptyParams>(None).is_ok());
        assert!(parse_params::<EmptyParams>(Some(json!([]))).is_err());
        assert!(parse_params::<EmptyParams>(Some(json!({"x": 1}))).is_err());
    }
}
