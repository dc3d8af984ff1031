/**
 * The sessions of one `corral mcp` server: one per network it was asked for (the workspace is
 * the server's, fixed at start), opened on first use, reused by every later call, all closed
 * together when the client goes.
 *
 * A call that names no network uses the policy's own choice (key `default`, which may be an
 * allowlist network); `offline` and `online` are flag-level values, so machine locks refuse them
 * when the policy does not allow them (openSession throws config_locked, the call fails with it).
 *
 * Concurrent first calls share one opening. A failed opening is forgotten, so a later call tries
 * again (after `corral setup`, say). A session whose runner stopped is dropped (`evict`) and the
 * next call opens a fresh one.
 */
import { CorralError } from '../../core/errors.js';
import type { Network, Session, SessionOptions } from '../session/types.js';

export type OpenSession = (options: SessionOptions) => Promise<Session>;

/** `default` is the policy's network; the others are asked for by name. */
export type PoolKey = Network | 'default';

export class SessionPool {
  private readonly sessions = new Map<PoolKey, Promise<Session>>();
  private closing: Promise<void> | null = null;

  /**
   * `base`: the options every session opens with (the workspace, warnings); `network` is added per key.
   * `defaultNetwork`: what a call naming none gets (the server's --network), else the policy's.
   */
  constructor(
    private readonly open: OpenSession,
    private readonly base: Omit<SessionOptions, 'network'>,
    private readonly defaultNetwork?: Network,
  ) {}

  /** The session for `network` (undefined: the server's default), opened now if it is not yet. */
  get(network?: Network): Promise<Session> {
    if (this.closing !== null) return Promise.reject(new CorralError('session_closed', 'the MCP server is shutting down'));
    const wanted = network ?? this.defaultNetwork;
    const key: PoolKey = wanted ?? 'default';
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = this.open({ ...this.base, ...(wanted !== undefined ? { network: wanted } : {}) });
      this.sessions.set(key, session);
      session.catch(() => {
        if (this.sessions.get(key) === session) this.sessions.delete(key);
      });
    }
    return session;
  }

  /** Forget `session` (its runner stopped) and close it; the next call for its network opens a new one. */
  evict(session: Session): void {
    for (const [key, entry] of this.sessions) {
      void entry.then(
        (s) => {
          if (s !== session) return;
          if (this.sessions.get(key) === entry) this.sessions.delete(key);
          void s.close().catch(() => undefined);
        },
        () => undefined,
      );
    }
  }

  /** Close every session (commands still running are killed); later calls are refused. Idempotent. */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      const entries = [...this.sessions.values()];
      this.sessions.clear();
      await Promise.all(entries.map((entry) => entry.then((s) => s.close(), () => undefined)));
    })();
    return this.closing;
  }
}
