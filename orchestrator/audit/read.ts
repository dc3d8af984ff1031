/** Reading the audit log back for `corral audit`: the last N whole records; damaged lines are counted, not fatal. */
import { readFileSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { isAuditRecord, type AuditRecord } from './record.js';

export interface AuditReadout {
  file: string;
  records: AuditRecord[];
  /** Lines that were not audit records (e.g. cut by a crash mid-write). */
  skipped: number;
}

export function readAudit(file: string, last?: number): AuditReadout {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, records: [], skipped: 0 };
    throw new CorralError('state_corrupt', `cannot read the audit log ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isAuditRecord(value)) records.push(value);
      else skipped += 1;
    } catch {
      skipped += 1;
    }
  }
  return { file, records: last === undefined ? records : records.slice(Math.max(0, records.length - last)), skipped };
}
