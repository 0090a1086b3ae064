// `Workspace` over VS Code's open folder, and the diff-then-confirm step every edit goes through.

import * as vscode from 'vscode';
import { ProposedEdit, Workspace, checkRelativePath } from './tools';

const PROPOSAL_SCHEME = 'bedrock-proposal';
const EXCLUDED = '**/{node_modules,.git,target,out}/**';

/** Serves the two sides of a proposed change to VS Code's diff editor. */
export class ProposalDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private counter = 0;

  register(): vscode.Disposable {
    return vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  private put(label: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${label}`, query: String(++this.counter) });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  /** Shows `before` ⇄ `after` and asks; true only when the user picks Apply. */
  async confirm(title: string, fileLabel: string, before: string, after: string, detail?: string): Promise<boolean> {
    const left = this.put(fileLabel, before);
    const right = this.put(fileLabel, after);
    try {
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
      const choice = await vscode.window.showInformationMessage(
        `${title}: apply this change to ${fileLabel}?`,
        { modal: true, detail },
        'Apply',
      );
      return choice === 'Apply';
    } finally {
      this.contents.delete(left.toString());
      this.contents.delete(right.toString());
    }
  }
}

export class VscodeWorkspace implements Workspace {
  constructor(private readonly proposals: ProposalDocuments) {}

  private uri(relativePath: string): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('no folder is open in VS Code; open the project folder so tools can see files');
    return vscode.Uri.joinPath(folder.uri, checkRelativePath(relativePath));
  }

  /** An open editor's unsaved text wins over the file on disk: it is what the user sees. */
  async readFile(relativePath: string): Promise<string> {
    const uri = this.uri(relativePath);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      throw new Error(`${relativePath} does not exist or cannot be read`);
    }
  }

  async exists(relativePath: string): Promise<boolean> {
    try {
      await vscode.workspace.fs.stat(this.uri(relativePath));
      return true;
    } catch {
      return false;
    }
  }

  async listFiles(glob: string | undefined, limit: number): Promise<string[]> {
    const found = await vscode.workspace.findFiles(glob ?? '**/*', EXCLUDED, limit);
    return found.map((uri) => vscode.workspace.asRelativePath(uri, false)).sort();
  }

  confirmEdit(edit: ProposedEdit): Promise<boolean> {
    return this.proposals.confirm('Bedrock proposes an edit', edit.path, edit.before, edit.after, edit.description);
  }

  /** Applied as a WorkspaceEdit so the user can undo it, then saved. */
  async writeFile(relativePath: string, contents: string): Promise<void> {
    const uri = this.uri(relativePath);
    const edit = new vscode.WorkspaceEdit();
    if (await this.exists(relativePath)) {
      const document = await vscode.workspace.openTextDocument(uri);
      edit.replace(uri, new vscode.Range(0, 0, document.lineCount, 0), contents);
    } else {
      edit.createFile(uri, { ignoreIfExists: false });
      edit.insert(uri, new vscode.Position(0, 0), contents);
    }
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${relativePath}`);
    await (await vscode.workspace.openTextDocument(uri)).save();
  }
}
