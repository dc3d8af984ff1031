/** What a `corral run` would reuse or start: the key, the real user, the workspace and the socket. */
import type { Installation } from '../../core/installation.js';
import type { RealUser } from '../platform.js';

export interface KeyedTarget {
  installation: Installation;
  user: RealUser & { uid: number };
  workspace: string;
  key: string;
  dir: string;
  socket: string;
  /** A superset of the session's env.allow (key.ts layersEnvAllow): what the client sends of its environment. */
  envAllow: string[];
}
