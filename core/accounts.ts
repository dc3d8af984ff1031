/**
 * Account names compared the way each OS compares them: Linux user names are exact bytes;
 * Windows SAM account names (and `DOMAIN\name`) are case-insensitive. Every comparison of a
 * real user's or an identity's name goes through here, so the two sides never disagree.
 */
import type { PathFlavour } from './paths.js';

export function sameAccountName(flavour: PathFlavour, a: string, b: string): boolean {
  return flavour === 'windows' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
