// Inline completions through bedrock-host's LSP face (docs/lsp.md), in plain Node (tested without
// VS Code): the documents the host knows (didOpen / incremental didChange / didClose, LSP's own
// shapes and UTF-16 positions, which are VS Code's too) and `textDocument/inlineCompletion` with
// cancellation. inlineCompletionProvider.ts adapts it to VS Code's InlineCompletionItemProvider.

import type { CancellationToken } from 'vscode-jsonrpc/node';
import { REQUEST_CANCELLED } from './protocol';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** One LSP content change: `range` replaced by `text`, or (no range) the whole text. */
export interface ContentChange {
  range?: Range;
  text: string;
}

/** What this module needs of the connection (BedrockClient has both). */
export interface LspConnection {
  request<R>(method: string, params: unknown, token?: CancellationToken): Promise<R>;
  notify(method: string, params: unknown): Promise<void>;
}

export const LspMethods = {
  didOpen: 'textDocument/didOpen',
  didChange: 'textDocument/didChange',
  didClose: 'textDocument/didClose',
  inlineCompletion: 'textDocument/inlineCompletion',
} as const;

interface InlineCompletionList {
  items: { insertText: string; range?: Range }[];
}

/** The host's view of the editor's documents, and completions at a position. */
export class InlineCompletionSync {
  /** The version the host has of each open document. */
  private readonly versions = new Map<string, number>();

  constructor(private readonly connection: LspConnection) {}

  isOpen(uri: string): boolean {
    return this.versions.has(uri);
  }

  versionOf(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  async open(uri: string, languageId: string, version: number, text: string): Promise<void> {
    this.versions.set(uri, version);
    await this.connection.notify(LspMethods.didOpen, { textDocument: { uri, languageId, version, text } });
  }

  /** Sends changes for a document the host has; ignored for others (they are opened on first use). */
  async change(uri: string, version: number, contentChanges: ContentChange[]): Promise<void> {
    if (!this.versions.has(uri)) return;
    this.versions.set(uri, version);
    await this.connection.notify(LspMethods.didChange, { textDocument: { uri, version }, contentChanges });
  }

  async close(uri: string): Promise<void> {
    if (!this.versions.delete(uri)) return;
    await this.connection.notify(LspMethods.didClose, { textDocument: { uri } });
  }

  /** Forgets every document (the host restarted). */
  reset(): void {
    this.versions.clear();
  }

  /**
   * The text to show at `position` as ghost text, or undefined when the host has none (completion off,
   * superseded by a newer request, cancelled).
   */
  async complete(uri: string, position: Position, automatic: boolean, token?: CancellationToken): Promise<string | undefined> {
    try {
      const list = await this.connection.request<InlineCompletionList | null>(
        LspMethods.inlineCompletion,
        { textDocument: { uri }, position, context: { triggerKind: automatic ? 2 : 1 } },
        token,
      );
      const text = list?.items?.[0]?.insertText;
      return text ? text : undefined;
    } catch (err) {
      if ((err as { code?: number }).code === REQUEST_CANCELLED) return undefined;
      throw err;
    }
  }
}
