// `Workspace` over a directory on disk, for the tests and for any Node host of the tools.
// Consent is whatever `confirm` answers: the caller decides how the user is asked.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ProposedEdit, Workspace, checkRelativePath, globToRegExp, resolveInside } from './tools';

/** Directories no one wants listed or searched. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'target', 'out']);
/** Directory entries visited per listing, so a huge tree cannot stall a tool call. */
const WALK_LIMIT = 50000;

export class FsWorkspace implements Workspace {
  constructor(
    readonly root: string,
    private readonly confirm: (edit: ProposedEdit) => Promise<boolean | string>,
  ) {}

  private resolve(relativePath: string): Promise<string> {
    return resolveInside(this.root, path.join(this.root, checkRelativePath(relativePath)), relativePath);
  }

  async readFile(relativePath: string): Promise<string> {
    try {
      return await fs.readFile(await this.resolve(relativePath), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${relativePath} does not exist`);
      throw err;
    }
  }

  async exists(relativePath: string): Promise<boolean> {
    const target = await this.resolve(relativePath);
    try {
      await fs.access(target);
      return true;
    } catch {
      return false;
    }
  }

  async listFiles(glob: string | undefined, limit: number): Promise<string[]> {
    const matcher = glob ? globToRegExp(glob) : undefined;
    const found: string[] = [];
    const pending = [''];
    let visited = 0;
    while (pending.length && found.length < limit && visited < WALK_LIMIT) {
      const dir = pending.shift()!;
      const entries = await fs.readdir(path.join(this.root, dir), { withFileTypes: true });
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        visited++;
        const relative = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) pending.push(relative);
        } else if (entry.isFile() && (!matcher || matcher.test(relative)) && found.length < limit) {
          found.push(relative);
        }
      }
    }
    return found.sort();
  }

  confirmEdit(edit: ProposedEdit): Promise<boolean | string> {
    return this.confirm(edit);
  }

  async writeFile(relativePath: string, contents: string): Promise<void> {
    const target = await this.resolve(relativePath);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, contents, 'utf8');
  }
}
