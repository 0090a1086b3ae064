// `Workspace` over VS Code's open folder, and the diff-then-confirm step every edit goes through.

import * as vscode from 'vscode';
import { ProposalReview } from './review';
import { ProposedEdit, Workspace, checkRelativePath, resolveInside } from './tools';

const EXCLUDED = '**/{node_modules,.git,target,out}/**';

export class VscodeWorkspace implements Workspace {
  constructor(private readonly review: ProposalReview) {}

  private uri(relativePath: string): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('no folder is open in VS Code; open the project folder so tools can see files');
    return vscode.Uri.joinPath(folder.uri, checkRelativePath(relativePath));
  }

  /** The file's URI, refused when a symbolic link leads out of the workspace folder. */
  private async checkedUri(relativePath: string): Promise<vscode.Uri> {
    const uri = this.uri(relativePath);
    const folder = vscode.workspace.workspaceFolders![0];
    if (uri.scheme === 'file' && folder.uri.scheme === 'file') await resolveInside(folder.uri.fsPath, uri.fsPath, relativePath);
    return uri;
  }

  /** An open editor's unsaved text wins over the file on disk: it is what the user sees. */
  async readFile(relativePath: string): Promise<string> {
    const uri = await this.checkedUri(relativePath);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      throw new Error(`${relativePath} does not exist or cannot be read`);
    }
  }

  async exists(relativePath: string): Promise<boolean> {
    const uri = await this.checkedUri(relativePath);
    try {
      await vscode.workspace.fs.stat(uri);
      return true;
    } catch {
      return false;
    }
  }

  async listFiles(glob: string | undefined, limit: number): Promise<string[]> {
    const found = await vscode.workspace.findFiles(glob ?? '**/*', EXCLUDED, limit);
    return found.map((uri) => vscode.workspace.asRelativePath(uri, false)).sort();
  }

  /** Reviewed in the editor, hunk by hunk; the review saves what the user kept. */
  async confirmEdit(edit: ProposedEdit): Promise<boolean | string> {
    const title = 'Bedrock proposes an edit';
    if (!(await this.exists(edit.path))) {
      const created = await this.review.reviewNewFile(edit.path, title, edit.after, edit.description);
      if (created === false) return false;
      await this.writeFile(edit.path, created);
      return created;
    }
    const document = await vscode.workspace.openTextDocument(await this.checkedUri(edit.path));
    if (document.getText() !== edit.before) throw new Error(`${edit.path} changed while the edit was prepared; read it again`);
    const result = await this.review.review(document, edit.path, title, edit.after, edit.description);
    return result.accepted ? result.text : false;
  }

  /** Applied as a WorkspaceEdit so the user can undo it, then saved. */
  async writeFile(relativePath: string, contents: string): Promise<void> {
    const uri = await this.checkedUri(relativePath);
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
