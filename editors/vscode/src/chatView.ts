// The chat view in the side bar (a WebviewView): the transcript streams and renders markdown, code
// blocks have Copy / Insert / Apply, user messages have Edit, the last answer has Regenerate.
// It only renders and forwards actions; the extension owns the conversations (kept by the host
// under its storage directory, so the transcript comes back after the view closes or the window
// reloads).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

import { TranscriptEntry } from './chat';

/** Extension → webview. */
export type ViewUpdate =
  | { type: 'user'; text: string; context?: string[] }
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; detail?: string }
  | { type: 'notice'; text: string }
  | { type: 'done'; summary: string }
  | { type: 'error'; text: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'title'; text: string }
  | { type: 'transcript'; entries: TranscriptEntry[] };

/** Webview → extension. */
export type ViewAction =
  | { type: 'send'; text: string; editOf?: number; original?: string }
  | { type: 'stop' }
  | { type: 'new' }
  | { type: 'history' }
  | { type: 'regenerate' }
  | { type: 'copy'; code: string }
  | { type: 'insert'; code: string }
  | { type: 'apply'; code: string };

type ViewReady = { type: 'ready' };

export const CHAT_VIEW_ID = 'bedrock.chatView';

export class ChatView implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** What the view shows, kept here too so a view created again (or late) gets it whole. */
  private transcript: TranscriptEntry[] = [];
  private title = '';
  private busy = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onAction: (action: ViewAction) => void,
    private readonly onResolved: () => void,
  ) {}

  register(): vscode.Disposable {
    return vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this, { webviewOptions: { retainContextWhenHidden: true } });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const markdownIt = vscode.Uri.joinPath(this.extensionUri, 'node_modules', 'markdown-it', 'dist');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, markdownIt] };
    view.webview.onDidReceiveMessage((message: ViewAction | ViewReady) => {
      if (message.type === 'ready') {
        this.ready = true;
        this.replay();
      } else {
        this.onAction(message);
      }
    });
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
    const nonce = randomBytes(16).toString('hex');
    const uri = (base: vscode.Uri, file: string) => view.webview.asWebviewUri(vscode.Uri.joinPath(base, file)).toString();
    view.webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${view.webview.cspSource} data:; style-src ${view.webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri(media, 'chat.css')}">
</head><body>
<div id="title"></div>
<div id="log" role="log" aria-live="polite"></div>
<form id="form">
  <textarea id="input" rows="3" placeholder="Ask Bedrock… (Enter sends, Shift+Enter breaks the line; /explain /fix /tests, #file:path)"></textarea>
  <div id="buttons">
    <button id="send" type="submit" title="Send (Enter)">Send</button>
    <button id="stop" type="button" title="Stop the answer" disabled>Stop</button>
    <button id="new" type="button" title="New chat">New</button>
    <button id="history" type="button" title="Earlier chats">History</button>
  </div>
</form>
<script nonce="${nonce}" src="${uri(markdownIt, 'markdown-it.min.js')}"></script>
<script nonce="${nonce}" src="${uri(media, 'chat.js')}"></script>
</body></html>`;
    this.onResolved();
  }

  /** Opens the view (and the side bar it lives in). */
  async show(): Promise<void> {
    if (this.view) {
      this.view.show(true);
    } else {
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    }
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  private replay(): void {
    void this.view?.webview.postMessage({ type: 'transcript', entries: this.transcript });
    void this.view?.webview.postMessage({ type: 'title', text: this.title });
    void this.view?.webview.postMessage({ type: 'busy', busy: this.busy });
  }

  /** Replaces the whole transcript (another chat, or a chat restored from the host). */
  setTranscript(entries: TranscriptEntry[], title: string): void {
    this.transcript = entries;
    this.title = title;
    if (this.ready) this.replay();
  }

  post(update: ViewUpdate): void {
    this.record(update);
    if (this.ready) void this.view?.webview.postMessage(update);
  }

  private record(update: ViewUpdate): void {
    const last = this.transcript[this.transcript.length - 1];
    switch (update.type) {
      case 'user':
        this.transcript.push({ kind: 'user', text: update.text, context: update.context });
        break;
      case 'delta':
        if (last?.kind === 'assistant') last.text += update.text;
        else this.transcript.push({ kind: 'assistant', text: update.text });
        break;
      case 'tool':
        this.transcript.push({ kind: 'note', text: `tool: ${update.name}${update.detail ? ` ${update.detail}` : ''}` });
        break;
      case 'notice':
        this.transcript.push({ kind: 'note', text: update.text });
        break;
      case 'done':
        this.transcript.push({ kind: 'note', text: update.summary });
        break;
      case 'error':
        this.transcript.push({ kind: 'error', text: update.text });
        break;
      case 'busy':
        this.busy = update.busy;
        break;
      case 'title':
        this.title = update.text;
        break;
      case 'transcript':
        this.transcript = update.entries;
        break;
    }
  }
}
