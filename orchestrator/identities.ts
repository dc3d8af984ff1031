/**
 * Deterministic names of the sandbox identities of one real user.
 *
 *   <prefix>-off-<user>   offline identity (no network)
 *   <prefix>-on-<user>    online identity
 *
 * `<user>` is the real user's name itself when it is "plain" (lower-case letters and
 * digits, starting with a letter) and fits; otherwise it is a sanitised, truncated stem
 * followed by `-` and 8 hex digits of SHA-256 of the real name. A plain user part never
 * contains `-` and a hashed one always does, so a plain name can never equal a hashed
 * one; two hashed names collide only if their hashes do. Limits: 32 characters on Linux
 * (useradd), 20 on Windows (SAM account names). Windows account names are
 * case-insensitive, so the real name is lower-cased there before anything else.
 */
import { createHash } from 'node:crypto';
import type { Installation, PlatformName } from '../core/installation.js';
import type { IdentityKind } from '../core/vocabulary.js';

export type NetworkKind = IdentityKind;

export interface IdentityNames {
  readonly realUser: string;
  readonly offline: string;
  readonly online: string;
}

export const MAX_NAME_LENGTH: Record<PlatformName, number> = { linux: 32, windows: 20 };
const HASH_HEX_DIGITS = 8;
const PLAIN_USER = /^[a-z][a-z0-9]*$/;
const TAG: Record<NetworkKind, string> = { offline: 'off', online: 'on' };

function userPart(realUser: string, room: number): string {
  if (PLAIN_USER.test(realUser) && realUser.length <= room) return realUser;
  const hash = createHash('sha256').update(realUser, 'utf8').digest('hex').slice(0, HASH_HEX_DIGITS);
  const stemRoom = Math.max(0, room - HASH_HEX_DIGITS - 1);
  const stem = realUser.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, stemRoom);
  return `${stem}-${hash}`;
}

/** The name of one identity of `realUser`. Throws if the prefix leaves no room. */
export function identityName(
  installation: Pick<Installation, 'identityPrefix' | 'platform'>,
  realUser: string,
  kind: NetworkKind,
): string {
  if (realUser.length === 0) throw new RangeError('real user name is empty');
  const normalised = installation.platform === 'windows' ? realUser.toLowerCase() : realUser;
  const head = `${installation.identityPrefix}-${TAG[kind]}-`;
  // Room is computed for the longer tag so that both identities of a user share one user part.
  const room = MAX_NAME_LENGTH[installation.platform] - `${installation.identityPrefix}-${TAG.offline}-`.length;
  if (room < HASH_HEX_DIGITS + 1) throw new RangeError(`identity prefix ${installation.identityPrefix} is too long`);
  return head + userPart(normalised, room);
}

export function identityNames(
  installation: Pick<Installation, 'identityPrefix' | 'platform'>,
  realUser: string,
): IdentityNames {
  return {
    realUser,
    offline: identityName(installation, realUser, 'offline'),
    online: identityName(installation, realUser, 'online'),
  };
}
