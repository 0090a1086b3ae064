// VS Code's ghost text from bedrock-host (docs/lsp.md): an InlineCompletionItemProvider that keeps
// the host's copy of each document current (didOpen on first use, then VS Code's own incremental
// change events as didChange, didClose) and asks `textDocument/inlineCompletion`, cancelled when VS
// Code cancels (typing on). On when `bedrock.inlineCompletion.enabled` is set.

import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { BedrockClient } from './client';
import { InlineCompletionSync } from './inlineCompletion';

export function registerInlineCompletions(getClient: () => Promise<BedrockClient>): vscode.Disposable {
  let synced: { client: BedrockClient; sync: InlineCompletionSync } | undefined;
  const syncFor = async (): Promise<InlineCompletionSync> => {
    const client = await getClient();
    if (!synced || synced.client !== client) {
      synced = { client, sync: new InlineCompletionSync(client) };
    }
    return synced.sync;
  };
  const enabled = () => vscode.workspace.getConfiguration('bedrock').get<boolean>('inlineCompletion.enabled', false);

  const provider: vscode.InlineCompletionItemProvider = {
    async provideInlineCompletionItems(document, position, context, token) {
      if (!enabled() || document.uri.scheme === 'output') return undefined;
      const sync = await syncFor();
      const uri = document.uri.toString();
      if (sync.versionOf(uri) !== document.version) {
        // Not open in the host yet, or changed without an event we saw: send the whole text.
        await sync.close(uri);
        await sync.open(uri, document.languageId, document.version, document.getText());
      }
      const source = new CancellationTokenSource();
      const cancel = token.onCancellationRequested(() => source.cancel());
      try {
        const automatic = context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic;
        const text = await sync.complete(uri, { line: position.line, character: position.character }, automatic, source.token);
        return text === undefined ? undefined : [new vscode.InlineCompletionItem(text, new vscode.Range(position, position))];
      } finally {
        cancel.dispose();
        source.dispose();
      }
    },
  };

  const onChange = vscode.workspace.onDidChangeTextDocument((event) => {
    const uri = event.document.uri.toString();
    if (!synced?.sync.isOpen(uri) || event.contentChanges.length === 0) return;
    const changes = event.contentChanges.map((change) => ({
      range: {
        start: { line: change.range.start.line, character: change.range.start.character },
        end: { line: change.range.end.line, character: change.range.end.character },
      },
      text: change.text,
    }));
    void synced.sync.change(uri, event.document.version, changes).catch(() => synced?.sync.reset());
  });
  const onClose = vscode.workspace.onDidCloseTextDocument((document) => {
    void synced?.sync.close(document.uri.toString()).catch(() => undefined);
  });
  return vscode.Disposable.from(
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    onChange,
    onClose,
  );
}
