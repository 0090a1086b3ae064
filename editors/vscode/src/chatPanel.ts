// The chat webview: a transcript that streams, an input box, Send, Stop and New buttons.
// It only renders and forwards clicks; the extension owns the conversation.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Extension → webview. */
export type PanelUpdate =
  | { type: 'user'; text: string }
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string }
  | { type: 'notice'; text: string }
  | { type: 'done'; summary: string }
  | { type: 'error'; text: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'clear' };

/** Webview → extension. */
export type PanelAction = { type: 'send'; text: string } | { type: 'stop' } | { type: 'new' };

/** The page says when its script runs; updates posted earlier would be lost. */
type PanelReady = { type: 'ready' };

export class ChatPanel {
  private panel: vscode.WebviewPanel | undefined;
  private pending: PanelUpdate[] | undefined;

  constructor(private readonly onAction: (action: PanelAction) => void) {}

  show(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    this.panel = vscode.window.createWebviewPanel('bedrockChat', 'Bedrock Chat', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    this.pending = [];
    this.panel.webview.onDidReceiveMessage((message: PanelAction | PanelReady) => {
      if (message.type === 'ready') {
        const queued = this.pending ?? [];
        this.pending = undefined;
        for (const update of queued) void this.panel?.webview.postMessage(update);
      } else {
        this.onAction(message);
      }
    });
    this.panel.webview.html = html(randomBytes(16).toString('hex'));
    this.panel.onDidDispose(() => {
      this.panel = undefined;
      this.pending = undefined;
    });
  }

  post(update: PanelUpdate): void {
    if (this.pending) {
      this.pending.push(update);
    } else {
      void this.panel?.webview.postMessage(update);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

function html(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); display: flex; flex-direction: column; height: 100vh; margin: 0; }
  #log { flex: 1; overflow-y: auto; padding: 8px; }
  .msg { white-space: pre-wrap; margin: 6px 0; padding: 6px; border-radius: 4px; }
  .user { background: var(--vscode-editor-inactiveSelectionBackground); }
  .note { opacity: 0.75; font-style: italic; }
  .error { color: var(--vscode-errorForeground); }
  form { display: flex; gap: 4px; padding: 8px; border-top: 1px solid var(--vscode-panel-border); }
  textarea { flex: 1; resize: vertical; min-height: 3em; color: var(--vscode-input-foreground); background: var(--vscode-input-background); }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 10px; }
  button:disabled { opacity: 0.5; }
</style></head>
<body>
<div id="log"></div>
<form id="form">
  <textarea id="input" placeholder="Ask Bedrock… (Ctrl+Enter sends)"></textarea>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" disabled>Stop</button>
  <button id="new" type="button">New</button>
</form>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const log = document.getElementById('log');
  const input = document.getElementById('input');
  const send = document.getElementById('send');
  const stop = document.getElementById('stop');
  let answer = null;
  function add(cls, text) {
    const div = document.createElement('div');
    div.className = 'msg ' + cls;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }
  document.getElementById('form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text) { vscode.postMessage({ type: 'send', text }); input.value = ''; }
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) document.getElementById('form').requestSubmit();
  });
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
  document.getElementById('new').addEventListener('click', () => vscode.postMessage({ type: 'new' }));
  window.addEventListener('message', (event) => {
    const m = event.data;
    switch (m.type) {
      case 'user': add('user', m.text); answer = null; break;
      case 'delta': if (!answer) answer = add('assistant', ''); answer.textContent += m.text; log.scrollTop = log.scrollHeight; break;
      case 'tool': add('note', 'tool: ' + m.name); answer = null; break;
      case 'notice': add('note', m.text); break;
      case 'done': add('note', m.summary); answer = null; break;
      case 'error': add('error', m.text); answer = null; break;
      case 'busy': send.disabled = m.busy; stop.disabled = !m.busy; break;
      case 'clear': log.textContent = ''; answer = null; break;
    }
  });
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}
