/**
 * The loopback port of the allowlist proxy on Windows: one per installation, chosen at setup
 * (`corral setup --proxy-port`), because the offline identity's firewall rules — written once,
 * elevated, at setup — must name it (a block over every other loopback port). Sessions then
 * find it in the machine state (users.<user>.firewall.proxyPort), never in a request.
 *
 * Linux needs none of this: its proxy listens inside the session's own network namespace
 * (runner/linux/proxy.ts, a fixed port that nothing else can hold there).
 */
import { CorralError } from '../errors.js';

/**
 * The default. Not 3128: squid and cntlm (common on corporate Windows machines) listen there,
 * and whatever listens on this port is reachable by every offline session of the machine,
 * while no allowlist session holds it. Below Windows' dynamic range (49152–65535), so no
 * outgoing connection takes it by chance.
 */
export const DEFAULT_WINDOWS_PROXY_PORT = 41817;
/** Unprivileged ports only: a port below 1024 is a system service's. */
export const MIN_PROXY_PORT = 1024;
export const MAX_PROXY_PORT = 65535;

export function isProxyPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_PROXY_PORT && value <= MAX_PROXY_PORT;
}

/** `--proxy-port` as given on the command line: a usage error (exit 2) names what was wrong. */
export function parseProxyPort(text: string, what = '--proxy-port'): number {
  const value = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!isProxyPort(value)) {
    throw new CorralError('usage', `${what} must be a TCP port from ${MIN_PROXY_PORT} to ${MAX_PROXY_PORT}; found ${JSON.stringify(text)}`);
  }
  return value;
}
