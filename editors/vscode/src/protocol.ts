// The subset of bedrock-host's JSON-RPC contract (docs/protocol.md) this extension speaks.
// Field names are the host's; Bedrock shapes (messages, usage, stream events) stay Bedrock's.

export const Methods = {
  initialize: 'initialize',
  initialized: 'initialized',
  shutdown: 'shutdown',
  exit: 'exit',
  listModels: 'bedrock/listModels',
  toolRegister: 'tool/register',
  conversationCreate: 'conversation/create',
  conversationSend: 'conversation/send',
  conversationGet: 'conversation/get',
  conversationList: 'conversation/list',
  conversationFork: 'conversation/fork',
  conversationDelete: 'conversation/delete',
  usageGet: 'usage/get',
  converseEvent: 'converse/event',
  converseGuardrail: 'converse/guardrail',
  converseRetry: 'converse/retry',
  toolCall: 'tool/call',
} as const;

/** JSON-RPC error code the host answers a cancelled request with. */
export const REQUEST_CANCELLED = -32800;
/** JSON-RPC error code of an unknown conversation (or other id). */
export const NOT_FOUND = -32003;

export interface GuardrailConfig {
  guardrailIdentifier: string;
  guardrailVersion: string;
  trace?: 'enabled' | 'disabled' | 'enabled_full';
}

/** `initializationOptions` of `initialize` (docs/protocol.md "HostOptions"); only what the settings set. */
export interface HostOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  defaultModelId?: string;
  guardrailConfig?: GuardrailConfig;
}

export interface InitializeResult {
  protocolVersion: string;
  serverInfo: { name: string; version: string };
  capabilities: { methods: string[]; notifications: string[]; features: string[] };
  backend: { kind: 'bedrock' | 'emulator'; region: string; endpointUrl?: string };
}

export interface ModelInfo {
  id: string;
  name: string;
  provider: string;
  aliases?: string[];
  inferenceProfiles?: Record<string, string>;
  contextWindow?: number;
  maxOutputTokens?: number;
  pricing?: { inputPerMillion: number; outputPerMillion: number; currency: string };
  supports?: Record<string, boolean>;
}

export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type ContentBlock = { text: string } | { toolUse: unknown } | { toolResult: unknown } | Record<string, unknown>;

export interface Message {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface CreateConversationParams {
  modelId?: string;
  system?: string;
  tools?: 'all' | string[];
  guardrailConfig?: GuardrailConfig;
  title?: string;
}

export interface SendParams {
  conversationId: string;
  content: string | ContentBlock[];
  stream?: boolean;
  maxToolIterations?: number;
}

export interface ToolCallRecord {
  toolUseId: string;
  name: string;
  input: unknown;
  status: string;
  durationMs: number;
}

export interface TurnResult {
  conversationId: string;
  turn: number;
  stopReason: string;
  messages: Message[];
  toolCalls: ToolCallRecord[];
  iterations: number;
  usage: TokenUsage;
  cumulativeUsage: TokenUsage;
  /** `null` when the host's catalog has no price for the model. */
  costUsd: number | null;
  cumulativeCostUsd: number | null;
  guardrail?: { action: string; trace: unknown };
}

export interface ConversationDetails {
  conversationId: string;
  modelId: string;
  messages: Message[];
  usage: TokenUsage;
  costUsd: number | null;
  title?: string;
}

/** One row of `conversation/list`. */
export interface ConversationSummary {
  conversationId: string;
  title: string;
  modelId: string;
  turns: number;
  updatedAt: string;
}

export interface UsageTotals {
  calls: number;
  /** `null` when some of these calls ran on a model the host cannot price. */
  costUsd: number | null;
  usage: TokenUsage;
}

export interface UsageResult {
  total: UsageTotals;
  byModel: Record<string, UsageTotals>;
}

/** One ConverseStream event exactly as Bedrock sends it (one-key union). */
export interface StreamEvent {
  messageStart?: { role: string };
  contentBlockStart?: { contentBlockIndex: number; start: { toolUse?: { name: string; toolUseId: string } } };
  contentBlockDelta?: { contentBlockIndex: number; delta: { text?: string; toolUse?: { input: string } } };
  contentBlockStop?: { contentBlockIndex: number };
  messageStop?: { stopReason: string };
  metadata?: { usage?: TokenUsage };
}

export interface ConverseEventParams {
  requestId: number | string;
  conversationId?: string;
  iteration: number;
  event: StreamEvent;
}

export interface GuardrailParams {
  requestId: number | string;
  conversationId?: string;
  action: string;
  stopReason: string;
  trace: unknown;
}

export interface RetryParams {
  requestId: number | string;
  attempt: number;
  delayMs: number;
  errorCode: string;
  message: string;
}

export interface ToolCallParams {
  requestId: number | string;
  conversationId: string;
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolCallResult {
  content: { text: string }[] | string;
  status?: 'success' | 'error';
}
