/**
 * Checking frames from the runner: the client trusts the runner (it is our code, running as
 * root or as the identity), but a runner of another version or a bug must show up as a clear
 * protocol_error, not as undefined fields deep in the client.
 */
import { CorralError } from '../../core/errors.js';
import type { FromRunner } from '../../core/protocol.js';

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'object' | 'string|null' | 'number|null' | 'string?' | 'number?' | 'string[]' | 'via'>;

const SHAPES: Record<FromRunner['type'], Shape> = {
  hello: { version: 'number', identity: 'string', platform: 'string', policyDigest: 'string', enforcement: 'object', home: 'string', tmpdir: 'string' },
  started: { id: 'string', pid: 'number' },
  stdout: { id: 'string', data: 'string' },
  stderr: { id: 'string', data: 'string' },
  exit: {
    id: 'string',
    code: 'number|null',
    signal: 'string|null',
    durationMs: 'number',
    timedOut: 'boolean',
    outputTruncated: 'boolean',
    killed: 'string?',
    noRoute: 'number?',
  },
  error: { id: 'string?', code: 'string', message: 'string' },
  suspended: { id: 'string' },
  connection: { ids: 'string[]', time: 'string', via: 'via', host: 'string', port: 'number', allowed: 'boolean', rule: 'string', address: 'string?', error: 'string?' },
};

function fits(value: unknown, kind: Shape[string]): boolean {
  switch (kind) {
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'number|null':
      return value === null || typeof value === 'number';
    case 'string?':
      return value === undefined || typeof value === 'string';
    case 'number?':
      return value === undefined || typeof value === 'number';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'via':
      return value === 'connect' || value === 'http' || value === 'socks5';
    case 'object':
      return typeof value === 'object' && value !== null;
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === kind;
  }
}

/** The message as a FromRunner, or a protocol_error naming the frame type and field. */
export function checkFromRunner(value: unknown): FromRunner {
  if (typeof value !== 'object' || value === null) {
    throw new CorralError('protocol_error', `runner sent a frame that is not an object: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SHAPES, type)) {
    throw new CorralError('protocol_error', `runner sent a frame of unknown type ${JSON.stringify(type)}`);
  }
  for (const [field, kind] of Object.entries(SHAPES[type as FromRunner['type']])) {
    if (!fits((value as Record<string, unknown>)[field], kind)) {
      throw new CorralError('protocol_error', `runner sent a ${type} frame whose ${field} is not ${kind}`, {
        details: { type, field },
      });
    }
  }
  return value as FromRunner;
}
