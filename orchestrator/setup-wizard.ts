/**
 * The guided setup: `corral setup` on a terminal without --yes says what it will create,
 * asks (prompts) for the real user, the workspaces and the network default — each answer
 * checked as it is given, the question asked again with the reason when it fails — shows
 * the plan, and asks before it changes anything. Ctrl-C or Esc at any question is
 * `cancelled`, with nothing changed.
 */
import { CorralError } from '../core/errors.js';
import type { Network } from './policy/schema.js';

export interface SetupAnswers {
  user: string;
  workspaces: string[];
  network: Network;
}

function cancelled(): CorralError {
  return new CorralError('cancelled', 'setup cancelled; nothing was changed');
}

/**
 * Checks an answer as it is given: a message to show (the question is asked again), or
 * true. The user is checked first; the workspaces are checked against that user.
 */
export interface SetupValidators {
  user(name: string): Promise<string | true>;
  workspaces(list: string[], user: string): Promise<string | true>;
}

/** Shown before the first question: what Corral will create, and for whom. */
export function introText(installation: { name: string; userGroup: string }): string {
  return [
    'Corral setup',
    '',
    'Corral runs an AI agent\'s commands as a separate sandbox account of yours, which can write',
    'only the workspaces you name. For the real user you choose it creates:',
    '  - two sandbox accounts (offline: no network; online), with no login and no access to your files elsewhere;',
    '  - a firewall rule for the offline one, a root-owned session runner and a sudo rule to start it;',
    `  - write access to each workspace (.git and other protected names stay read-only), and group ${installation.userGroup} for you.`,
    'Each answer is checked as you give it. Nothing changes until you accept the plan. Ctrl-C or Esc cancels.',
    '',
  ].join('\n');
}

export function splitWorkspaces(text: string): string[] {
  return text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

export async function askSetup(defaults: SetupAnswers, check: SetupValidators, out: NodeJS.WritableStream = process.stdout, intro?: string): Promise<SetupAnswers> {
  const { default: prompts } = await import('prompts');
  let aborted = false;
  const onCancel = () => {
    aborted = true;
    return false;
  };
  if (intro !== undefined) out.write(intro);
  // One question at a time, so that the workspaces are checked against the user just chosen.
  const u = (await prompts(
    {
      type: 'text',
      name: 'user',
      message: 'Real user the sandbox is for',
      initial: defaults.user,
      validate: async (v: string) => check.user(v.trim() === '' ? defaults.user : v.trim()),
    },
    { onCancel },
  )) as { user?: string };
  if (aborted || u.user === undefined) throw cancelled();
  const user = u.user.trim() || defaults.user;
  const w = (await prompts(
    {
      type: 'text',
      name: 'workspaces',
      message: `Workspaces of ${user} to provision (comma-separated directories)`,
      initial: defaults.workspaces.join(', '),
      validate: async (v: string) => {
        const list = splitWorkspaces(v);
        return check.workspaces(list.length > 0 ? list : defaults.workspaces, user);
      },
    },
    { onCancel },
  )) as { workspaces?: string };
  if (aborted || w.workspaces === undefined) throw cancelled();
  const listed = splitWorkspaces(w.workspaces);
  const n = (await prompts(
    {
      type: 'select',
      name: 'network',
      message: 'Network default for sessions',
      choices: [
        { title: 'offline — no network (loopback per policy)', value: 'offline' },
        { title: 'online — network allowed', value: 'online' },
      ],
      initial: defaults.network === 'online' ? 1 : 0,
    },
    { onCancel },
  )) as { network?: Network };
  if (aborted || n.network === undefined) throw cancelled();
  return { user, workspaces: listed.length > 0 ? listed : defaults.workspaces, network: n.network };
}

/** Ask whether to apply what was just shown; false means "no", Ctrl-C is `cancelled`. */
export async function confirm(message: string): Promise<boolean> {
  const { default: prompts } = await import('prompts');
  let aborted = false;
  const answer = (await prompts(
    { type: 'confirm', name: 'ok', message, initial: false },
    {
      onCancel: () => {
        aborted = true;
        return false;
      },
    },
  )) as { ok?: boolean };
  if (aborted || answer.ok === undefined) throw cancelled();
  return answer.ok;
}
