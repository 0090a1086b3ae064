// One conversation with the host: creates it lazily, sends turns, and turns the host's
// `converse/event` stream into text deltas for whatever UI shows them. Plain Node.

import { BedrockClient, CancellationToken } from './client';
import { splitPrompt } from './prompts';
import {
  ConversationDetails,
  ConverseEventParams,
  CreateConversationParams,
  Message,
  Methods,
  TurnResult,
} from './protocol';

/** One entry of a transcript as the chat view shows it. */
export type TranscriptEntry =
  | { kind: 'user'; text: string; context?: string[] }
  | { kind: 'assistant'; text: string }
  | { kind: 'note'; text: string }
  | { kind: 'error'; text: string };

export interface TurnListener {
  /** A piece of assistant text, in arrival order. */
  text?(delta: string): void;
  /** The model started a tool call (the client answers it through its tool handler). */
  toolUse?(name: string): void;
  /** A new model call began after tool results went back (iteration 2, 3, …). */
  iteration?(iteration: number): void;
}

export interface ChatOptions {
  modelId?: string;
  system?: string;
  /** `"all"` offers every registered tool; omit for a tool-less conversation. */
  tools?: 'all' | string[];
}

export class Chat {
  private conversationId: string | undefined;

  constructor(
    private readonly client: BedrockClient,
    private options: ChatOptions = {},
  ) {}

  get id(): string | undefined {
    return this.conversationId;
  }

  /** Forget the conversation; the next `send` starts a new one (with `options` when given). */
  reset(options?: ChatOptions): void {
    this.conversationId = undefined;
    if (options) this.options = options;
  }

  /** Continue an existing conversation (one from `conversation/list`, or kept across a host restart). */
  open(conversationId: string | undefined): void {
    this.conversationId = conversationId;
  }

  private async ensureConversation(): Promise<string> {
    if (!this.conversationId) {
      const params: CreateConversationParams = {};
      if (this.options.modelId) params.modelId = this.options.modelId;
      if (this.options.system) params.system = this.options.system;
      // The host offers every registered tool when `tools` is absent: a tool-less chat says `[]`.
      params.tools = this.options.tools ?? [];
      const created = await this.client.request<{ conversationId: string }>(Methods.conversationCreate, params);
      this.conversationId = created.conversationId;
    }
    return this.conversationId;
  }

  /**
   * Sends one user turn and streams it to `listener`. Cancelling `token` sends `$/cancelRequest`;
   * the promise then rejects with a `HostRequestError` whose `cancelled` is true, and the
   * conversation's history stays as it was before the turn (docs/protocol.md).
   */
  async send(content: string, listener: TurnListener = {}, token?: CancellationToken): Promise<TurnResult> {
    const conversationId = await this.ensureConversation();
    let iteration = 1;
    const subscription = this.client.onConverseEvent((p: ConverseEventParams) => {
      if (p.conversationId !== conversationId) return;
      if (p.iteration !== iteration) {
        iteration = p.iteration;
        listener.iteration?.(iteration);
      }
      const delta = p.event.contentBlockDelta?.delta.text;
      if (delta !== undefined) listener.text?.(delta);
      const toolUse = p.event.contentBlockStart?.start.toolUse;
      if (toolUse) listener.toolUse?.(toolUse.name);
    });
    try {
      return await this.client.request<TurnResult>(Methods.conversationSend, { conversationId, content, stream: true }, token);
    } finally {
      subscription.dispose();
    }
  }

  async details(): Promise<ConversationDetails | undefined> {
    if (!this.conversationId) return undefined;
    return this.client.request<ConversationDetails>(Methods.conversationGet, { conversationId: this.conversationId });
  }
}

/** The assistant's final text of a turn (the last assistant message, text blocks joined). */
export function finalText(result: TurnResult): string {
  const assistant = [...result.messages].reverse().find((m) => m.role === 'assistant');
  if (!assistant) return '';
  return assistant.content
    .map((block) => ('text' in block && typeof block.text === 'string' ? block.text : ''))
    .join('');
}

export function explainPrompt(code: string, languageId: string, fileName: string): string {
  return `Explain what this ${languageId} code from ${fileName} does, briefly and precisely:\n\n\`\`\`${languageId}\n${code}\n\`\`\``;
}

export function editPrompt(instruction: string, code: string, languageId: string, fileName: string): string {
  return (
    `Rewrite this ${languageId} code from ${fileName} as follows: ${instruction}\n` +
    `Answer with the complete replacement code in one fenced code block and nothing else.\n\n` +
    `\`\`\`${languageId}\n${code}\n\`\`\``
  );
}

/**
 * The replacement code in an answer to `editPrompt`: the first fenced block's body, or the whole
 * answer when the model did not fence it. `undefined` when there is nothing usable.
 */
export function extractCode(answer: string): string | undefined {
  const fenced = /```[^\n]*\n([\s\S]*?)\n?```/.exec(answer);
  const code = fenced ? fenced[1] : answer.trim();
  return code.length ? code : undefined;
}

export function textOf(message: Message): string {
  return message.content.map((block) => ('text' in block && typeof block.text === 'string' ? block.text : '')).join('');
}

/** Messages the user typed (not the toolResult messages the tool loop adds). */
export function isPrompt(message: Message): boolean {
  return message.role === 'user' && message.content.some((block) => 'text' in block);
}

/** A conversation as the chat view shows it. */
export function transcriptOf(messages: Message[]): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  for (const message of messages) {
    if (isPrompt(message)) {
      const { text, context } = splitPrompt(textOf(message));
      entries.push(context.length ? { kind: 'user', text, context } : { kind: 'user', text });
    } else if (message.role === 'assistant') {
      const text = textOf(message);
      if (text) entries.push({ kind: 'assistant', text });
      for (const block of message.content) {
        const toolUse = (block as { toolUse?: { name: string } }).toolUse;
        if (toolUse) entries.push({ kind: 'note', text: `tool: ${toolUse.name}` });
      }
    }
  }
  return entries;
}
