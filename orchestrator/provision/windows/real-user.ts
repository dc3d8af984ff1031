/**
 * The real user on Windows: the caller (USERNAME, USERDOMAIN, USERPROFILE, and the SID from
 * `whoami /user /fo csv`), or — for `corral setup --user NAME` — another local or domain
 * account, looked up by a fixed PowerShell script that gets the name as base64 JSON.
 *
 * The name Corral derives identity names from is the SAM account name without the domain
 * (identities.ts lower-cases it); the SID is what the module keys ACLs and records on.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CorralError } from '../../../core/errors.js';
import type { RealUser } from '../../platform.js';
import { parseOperationOutput } from './command.js';
import type { PowerShellHost } from './host.js';
import { sameAccountName } from '../../../core/accounts.js';

const SID_PATTERN = /^S-1-[0-9]+(-[0-9]+)+$/;

/** Split one CSV record (quoted fields, "" as an escaped quote). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new CorralError('internal', `unterminated CSV field in ${JSON.stringify(line)}`);
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else {
          value += line[i++];
        }
      }
      fields.push(value);
      if (line[i] === ',') i++;
      else break;
    } else {
      const end = line.indexOf(',', i);
      fields.push(end === -1 ? line.slice(i) : line.slice(i, end));
      if (end === -1) break;
      i = end + 1;
    }
  }
  return fields;
}

/** `whoami /user /fo csv` → account (DOMAIN\name) and SID. Headers are localised; the data row is not. */
export function parseWhoamiUserCsv(text: string): { account: string; sid: string } {
  const rows = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(parseCsvLine);
  const row = rows.find((r) => r.length >= 2 && SID_PATTERN.test(r[r.length - 1]!));
  if (row === undefined) throw new CorralError('internal', `whoami /user printed no SID: ${JSON.stringify(text.slice(0, 300))}`);
  return { account: row[0]!, sid: row[row.length - 1]! };
}

export type RunWhoami = () => Promise<string>;

const defaultWhoami: RunWhoami = async () => {
  try {
    const { stdout } = await promisify(execFile)('whoami', ['/user', '/fo', 'csv'], { windowsHide: true, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    throw new CorralError('tool_missing', `whoami /user could not be run: ${(err as Error).message}`, { cause: err });
  }
};

/** The user running this process. */
export async function currentWindowsUser(env: NodeJS.ProcessEnv = process.env, whoami: RunWhoami = defaultWhoami): Promise<RealUser> {
  const name = env.USERNAME;
  const home = env.USERPROFILE;
  if (name === undefined || name === '' || home === undefined || home === '') {
    throw new CorralError('internal', 'USERNAME or USERPROFILE is not set; cannot tell who the real user is');
  }
  const { account, sid } = parseWhoamiUserCsv(await whoami());
  // whoami prints DOMAIN\name; trust it over the environment, which the caller can set.
  const samName = account.includes('\\') ? account.slice(account.lastIndexOf('\\') + 1) : account;
  if (!sameAccountName('windows', samName, name)) {
    throw new CorralError('usage', `USERNAME is ${JSON.stringify(name)} but this process runs as ${JSON.stringify(account)}; pass --user explicitly`);
  }
  return { name: samName, sid, home };
}

/**
 * Fixed script resolving another account: the name arrives as base64 JSON; the module's
 * Resolve-CorralRealUser (in the module's scope: it is not exported) translates it to a SID
 * through its seam ConvertTo-CorralSid (NTAccount.Translate) and reads the profile folder from
 * the (world-readable) ProfileList key through its registry seam — the same lookup install.ps1
 * uses, and one the simulated Windows can answer. The account comes back as it was asked for.
 */
export function lookupUserScript(name: string): string {
  const b64 = Buffer.from(JSON.stringify({ name }), 'utf8').toString('base64');
  return [
    '& {',
    `$request = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String('${b64}')) | ConvertFrom-Json;`,
    'try {',
    '$found = & (Get-Module -Name Corral) { param($Name) Resolve-CorralRealUser -User $Name } $request.name;',
    '@{ ok = $true; result = @{ account = [string]$found.Name; sid = [string]$found.Sid; home = $found.Profile } } | ConvertTo-Json -Compress',
    '} catch {',
    "@{ ok = $false; error = @{ errorId = 'CorralUserUnknown'; message = $_.Exception.Message } } | ConvertTo-Json -Compress",
    '} }',
  ].join(' ');
}

/** Another account by name (`corral setup --user NAME`). */
export async function lookupWindowsUser(host: PowerShellHost, name: string): Promise<RealUser> {
  let found: { account?: unknown; sid?: unknown; home?: unknown };
  try {
    found = parseOperationOutput('user lookup', await host.invoke(lookupUserScript(name))) as typeof found;
  } catch (err) {
    throw new CorralError('usage', `no such user: ${name}`, { cause: err, details: { user: name } });
  }
  if (typeof found.sid !== 'string' || !SID_PATTERN.test(found.sid) || typeof found.account !== 'string') {
    throw new CorralError('internal', `user lookup for ${name} returned no SID`);
  }
  if (typeof found.home !== 'string' || found.home === '') {
    throw new CorralError('usage', `${found.account} has no profile on this machine yet; sign in as that user once, then run setup again`, {
      details: { user: name },
    });
  }
  const samName = found.account.slice(found.account.lastIndexOf('\\') + 1);
  return { name: samName, sid: found.sid, home: found.home };
}
