/**
 * Does the workspace's size cost anything? For generated workspaces of 1k, 10k and 100k
 * files: the time `corral setup` takes to add the workspace (the grant: an ACL tree walk,
 * or nothing to walk with idmapped mounts), and the time to open a session on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openSession } from '../orchestrator/index.js';
import { corral } from './corral.js';
import type { Row } from './per-command.js';
import { measure, summarize, timeOnce } from './stats.js';

const FILES_PER_DIR = 100;

export function generateWorkspace(dir: string, files: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${Math.floor(i / FILES_PER_DIR)}`);
    if (i % FILES_PER_DIR === 0) mkdirSync(sub);
    writeFileSync(path.join(sub, `f${i}.txt`), 'x\n');
  }
}

export async function benchWorkspaceGrowth(base: string, sizes: readonly number[], mainWorkspace = path.join(base, 'ws')): Promise<Row[]> {
  const section = 'Workspace size, real user root (ACL grants): setup adding it (1 run) and session start (median of 20)';
  const rows: Row[] = [];
  const provisioned = [mainWorkspace];
  for (const n of sizes) {
    const ws = path.join(base, `grow-${n}`);
    generateWorkspace(ws, n);
    provisioned.push(ws);
    const args = ['setup', '--yes', ...provisioned.flatMap((w) => ['--workspace', w])];
    const grantMs = await timeOnce(() => corral(args));
    rows.push({ section, name: `setup adding a ${n.toLocaleString('en')}-file workspace`, timing: summarize([grantMs]) });
    const start = await measure(async () => {
      const s = await openSession({ workspace: ws, audit: false });
      await s.close();
    }, 20, 2);
    rows.push({ section, name: `session open+close, ${n.toLocaleString('en')} files`, timing: start });
  }
  return rows;
}
