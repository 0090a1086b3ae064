//! Building the SDK client: aws-config's whole default chain, with our
//! settings layered on top. Building never fails for want of credentials or
//! a region; a call does, with -32004 and a hint.

use std::future::Future;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_types::region::Region;

use super::errors::{self, CallContext};
use super::observe::{AttemptLog, AttemptObserver};
use super::{CallOptions, GatewaySettings, StreamIdle};
use crate::error::HostResult;
use crate::protocol::RetryMode;

/// A configured Bedrock Runtime client. Cheap to clone; share one per host.
#[derive(Debug, Clone)]
pub struct BedrockGateway {
    pub(super) client: Client,
    region: Option<String>,
    /// Why the region the AWS chain found was not used, if it was not.
    region_problem: Option<String>,
    endpoint_url: Option<String>,
    /// How long a stream may stay silent (before its first event too) before it is given up.
    pub(super) stream_idle: StreamIdle,
    /// For streams when requestTimeoutMs is not set: each attempt's wait for the response headers
    /// is bounded by the stream idle timeout, so a server that never answers cannot hang a call.
    stream_attempt_timeout: Option<TimeoutConfig>,
    /// The credential chain calls are signed with (for `credentials_problem`).
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl BedrockGateway {
    /// Resolves the AWS configuration. Succeeds without credentials or a
    /// region; those are checked per call.
    pub async fn new(settings: GatewaySettings) -> HostResult<Self> {
        let stream_idle = StreamIdle::of(&settings);
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        // Our region first; without one the loader's own chain (AWS_REGION, the
        // profile named below, IMDS) decides, so it honours `profile`.
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint_url) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint_url);
        }
        if let Some((access_key_id, secret_access_key)) = settings.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                access_key_id,
                secret_access_key,
                None,
                None,
                "bedrock-host-static",
            ));
        }
        let sdk_config = loader.load().await;

        let mut config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config);
        let most_attempts = crate::protocol::lifecycle::MAX_ATTEMPTS.max as u32;
        let chain_attempts = sdk_config.retry_config().map(RetryConfig::max_attempts);
        if settings.max_attempts.is_none()
            && let Some(attempts) = chain_attempts.filter(|attempts| *attempts > most_attempts)
        {
            // AWS_MAX_ATTEMPTS or the profile's max_attempts is not ours to refuse, but a call must not
            // retry for hours: hold it to the range maxAttempts has.
            tracing::warn!(attempts, most_attempts, "AWS_MAX_ATTEMPTS (or the profile) asks for too many attempts");
            let retry = sdk_config.retry_config().cloned().unwrap_or_else(RetryConfig::standard);
            config = config.retry_config(retry.with_max_attempts(most_attempts));
        }
        if settings.max_attempts.is_some() || settings.retry_mode.is_some() {
            // Start from what the chain said (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, profile) and override.
            let mut retry = sdk_config.retry_config().cloned().unwrap_or_else(RetryConfig::standard);
            if let Some(mode) = settings.retry_mode {
                retry = match mode {
                    RetryMode::Standard => RetryConfig::standard().with_max_attempts(retry.max_attempts()),
                    RetryMode::Adaptive => RetryConfig::adaptive().with_max_attempts(retry.max_attempts()),
                };
            }
            if let Some(max_attempts) = settings.max_attempts {
                retry = retry.with_max_attempts(max_attempts.max(1));
            }
            let attempts = retry.max_attempts().min(most_attempts);
            retry = retry.with_max_attempts(attempts);
            config = config.retry_config(retry);
        }
        if let Some(timeout) = settings.request_timeout {
            let base = sdk_config.timeout_config().cloned().unwrap_or_else(|| TimeoutConfig::builder().build());
            config = config.timeout_config(base.to_builder().operation_attempt_timeout(timeout).build());
        }
        // A region from AWS_REGION or a profile is checked as --region is: one with a newline or a
        // slash would make every call fail far from its cause. Such a region counts as none.
        let mut region_problem = None;
        let region = sdk_config.region().map(|region| region.as_ref().to_owned()).filter(|region| {
            let checked = crate::protocol::lifecycle::check_region(region);
            if let Err(problem) = &checked {
                tracing::warn!(%problem, "ignoring the AWS region of the environment or profile");
                region_problem = Some(format!("the region of AWS_REGION or the AWS profile: {problem}"));
            }
            checked.is_ok()
        });
        let endpoint_url = sdk_config.endpoint_url().map(str::to_owned);
        let credentials = sdk_config.credentials_provider();
        let client = Client::from_conf(config.build());
        let stream_attempt_timeout = settings.request_timeout.is_none().then(|| {
            let base = client.config().timeout_config().cloned().unwrap_or_else(|| TimeoutConfig::builder().build());
            base.to_builder().operation_attempt_timeout(stream_idle.limit).build()
        });
        Ok(Self { client, region, region_problem, endpoint_url, stream_idle, stream_attempt_timeout, credentials })
    }

    /// The per-call configuration of a streaming operation: its attempt timeout
    /// (until the response headers) when requestTimeoutMs does not set one.
    pub(super) fn stream_config_override(&self) -> aws_sdk_bedrockruntime::config::Builder {
        let mut config = aws_sdk_bedrockruntime::config::Builder::default();
        if let Some(timeout) = &self.stream_attempt_timeout {
            config = config.timeout_config(timeout.clone());
        }
        config
    }

    /// The region calls go to, if one was found.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The endpoint override in force (settings or AWS_ENDPOINT_URL*), if any.
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }

    /// Whether calls can be signed now: `None` when the AWS chain yields credentials (or a Bedrock API
    /// key is set), else the -32004 error a call would get, with its hint. Makes no call to Bedrock.
    pub async fn credentials_problem(&self) -> Option<crate::error::HostError> {
        use aws_credential_types::provider::ProvideCredentials;
        if std::env::var_os("AWS_BEARER_TOKEN_BEDROCK").is_some_and(|token| !token.is_empty()) {
            return None;
        }
        let problem = match &self.credentials {
            None => "no credentials provider is configured".to_string(),
            Some(provider) => match provider.provide_credentials().await {
                Ok(_) => return None,
                Err(error) => errors::error_chain(&error),
            },
        };
        Some(crate::error::HostError::NoCredentials {
            message: format!("found no AWS credentials ({problem})"),
            hint: errors::CREDENTIALS_HINT.to_owned(),
        })
    }

    /// Runs one SDK call with the attempt observer attached, and maps its error.
    /// `send` receives the interceptor to attach with `.customize().interceptor(..)`.
    pub(super) async fn run<T, E, F, Fut>(&self, call: CallContext, options: &CallOptions, send: F) -> HostResult<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: FnOnce(AttemptObserver<E>) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        self.run_counted(call, options, send).await.map(|(output, _attempts)| output)
    }

    /// As [`Self::run`], also returning how many HTTP attempts it took (for
    /// streams, whose later errors must report it).
    pub(super) async fn run_counted<T, E, F, Fut>(
        &self,
        mut call: CallContext,
        options: &CallOptions,
        send: F,
    ) -> HostResult<(T, u32)>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: FnOnce(AttemptObserver<E>) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        let log = Arc::new(AttemptLog::default());
        let result = send(AttemptObserver::new(log.clone(), options.on_retry.clone())).await;
        call.attempts = log.attempts();
        match result {
            Ok(output) => Ok((output, call.attempts)),
            Err(error) => Err(errors::from_sdk_error(error, &call)),
        }
    }

    /// The context for a call's error messages; fails at once without a region.
    pub(super) fn call_context(
        &self,
        operation: &'static str,
        iam_action: &'static str,
        target: String,
    ) -> HostResult<CallContext> {
        let region = self.region.clone().ok_or_else(|| errors::no_region(operation, self.region_problem.as_deref()))?;
        Ok(CallContext { operation, iam_action, target, region, attempts: 0 })
    }
}
