/**
 * The library API: `import { openSession } from 'corral'`.
 *
 *   const session = await openSession({ workspace: '/home/me/project', network: 'offline' });
 *   try {
 *     const r = await session.exec(['npm', 'test']);
 *     console.log(r.status, r.stdout.toString());
 *   } finally {
 *     await session.close();
 *   }
 *
 * Small on purpose: a test (test/unit/session-client-api.test.ts) pins what is exported.
 */
export { openSession } from './session/open.js';
export { CorralError, isCorralError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
export type {
  CommandExit,
  CommandOptions,
  Enforcement,
  ExecOptions,
  ExecResult,
  Limits,
  Network,
  SandboxedProcess,
  Session,
  SessionOptions,
  SpawnOptions,
} from './session/types.js';
