/**
 * The guided setup: `corral setup` on a terminal without --yes asks (prompts) for the
 * real user, the workspaces and the network default, shows the plan, and asks before it
 * changes anything. Ctrl-C or Esc at any question is `cancelled`, with nothing changed.
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

export async function askSetup(defaults: SetupAnswers): Promise<SetupAnswers> {
  const { default: prompts } = await import('prompts');
  let aborted = false;
  const answers = (await prompts(
    [
      { type: 'text', name: 'user', message: 'Real user the sandbox is for', initial: defaults.user },
      {
        type: 'list',
        name: 'workspaces',
        message: 'Workspaces to provision (comma-separated directories)',
        initial: defaults.workspaces.join(', '),
        separator: ',',
      },
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
    ],
    {
      onCancel: () => {
        aborted = true;
        return false;
      },
    },
  )) as Partial<SetupAnswers>;
  if (aborted || answers.user === undefined || answers.workspaces === undefined || answers.network === undefined) throw cancelled();
  const workspaces = answers.workspaces.map((w) => w.trim()).filter((w) => w !== '');
  return { user: answers.user.trim() || defaults.user, workspaces: workspaces.length > 0 ? workspaces : defaults.workspaces, network: answers.network };
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
