//! The router: one typed handler per client→host request of the protocol.
//! A handler is bound to the method's marker type (`on::<method::Converse>`),
//! so its params and result types are the ones the protocol declares.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::request::RequestContext;
use crate::error::{HostError, HostResult};
use crate::protocol::parse_method_params;
use crate::transport::rpc::Request;

type HandlerFuture = Pin<Box<dyn Future<Output = HostResult<Value>> + Send>>;
pub(crate) type Handler = Arc<dyn Fn(RequestContext, Option<Value>) -> HandlerFuture + Send + Sync>;
/// A client→host notification's handler: runs on the read loop, in order, before the next frame is read
/// (so it must not wait); params that do not parse are reported by the handler's caller.
pub(crate) type NotificationHandler =
    Arc<dyn Fn(&Arc<super::session::Session>, &crate::transport::ClientHandle, Option<Value>) + Send + Sync>;

/// Handlers by method name.
#[derive(Default)]
pub(crate) struct Router {
    handlers: BTreeMap<&'static str, Handler>,
    notifications: BTreeMap<&'static str, NotificationHandler>,
}

impl Router {
    /// Serves request `M` with `handler`, whose params and result are the
    /// ones the protocol declares for `M`.
    pub(crate) fn on<M, F, Fut>(&mut self, handler: F)
    where
        M: Request,
        F: Fn(RequestContext, M::Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HostResult<M::Result>> + Send + 'static,
    {
        self.add(M::NAME, handler);
    }

    /// Serves a method the protocol does not declare (the `test/…` methods).
    pub(crate) fn on_undeclared<P, R, F, Fut>(&mut self, method: &'static str, handler: F)
    where
        P: DeserializeOwned + Send + 'static,
        R: Serialize + 'static,
        F: Fn(RequestContext, P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HostResult<R>> + Send + 'static,
    {
        debug_assert!(crate::protocol::protocol_method(method).is_none(), "`{method}` is declared: use `on`");
        self.add(method, handler);
    }

    fn add<P, R, F, Fut>(&mut self, method: &'static str, handler: F)
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

    /// Handles notification `M` with `handler`, whose params are the ones the protocol declares for
    /// `M`. Params that do not parse are logged and shown to the user (`window/showMessage`), naming
    /// every bad field: a notification has no answer to carry the error.
    pub(crate) fn on_notification<M, F>(&mut self, handler: F)
    where
        M: crate::transport::rpc::Notification,
        F: Fn(&Arc<super::session::Session>, &crate::transport::ClientHandle, M::Params) + Send + Sync + 'static,
    {
        let erased: NotificationHandler =
            Arc::new(move |session, client, params| match parse_method_params::<M::Params>(M::NAME, params) {
                Ok(params) => handler(session, client, params),
                Err(error) => {
                    tracing::warn!(method = M::NAME, %error, "ignored a notification with bad params");
                    let message = crate::protocol::lsp::ShowMessageParams {
                        kind: 1,
                        message: format!("bedrock-host ignored `{}`: {error}", M::NAME),
                    };
                    let _ = client.notify_now::<crate::protocol::method::ShowMessage>(&message);
                }
            });
        let previous = self.notifications.insert(M::NAME, erased);
        assert!(previous.is_none(), "notification `{}` is registered twice", M::NAME);
    }

    pub(crate) fn notification(&self, method: &str) -> Option<NotificationHandler> {
        self.notifications.get(method).cloned()
    }

    pub(crate) fn get(&self, method: &str) -> Option<Handler> {
        self.handlers.get(method).cloned()
    }

    /// Served request methods, sorted.
    pub(crate) fn methods(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }
}

/// The client→host requests of the protocol that the dispatcher serves itself
/// (they change the lifecycle) rather than through a handler.
pub(crate) const LIFECYCLE_REQUESTS: [&str; 2] =
    [crate::protocol::method::INITIALIZE, crate::protocol::method::SHUTDOWN];

/// The protocol's client→host requests: what a complete router serves.
#[cfg(test)]
pub(crate) fn declared_client_requests() -> impl Iterator<Item = &'static str> {
    use crate::protocol::{Direction, MessageKind, PROTOCOL_METHODS};
    PROTOCOL_METHODS
        .iter()
        .filter(|entry| entry.direction == Direction::ClientToHost && entry.kind == MessageKind::Request)
        .map(|entry| entry.name)
        .filter(|name| !LIFECYCLE_REQUESTS.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;
    use crate::protocol::parse_params;
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
}
