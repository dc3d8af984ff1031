/**
 * The one-line reasons `corral run` prints on stderr for connections the filtering proxy
 * refused: `corral: blocked connection to evil.example:443 (not in network.allow)`. One line per
 * distinct host, port and rule (a retrying tool would otherwise repeat it). The host was
 * normalised or escaped by the proxy (shownHost), so it holds no control bytes.
 */
import type { ConnectionRecord } from '../../core/protocol.js';

export function blockedLines(connections: readonly ConnectionRecord[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const c of connections) {
    if (c.allowed) continue;
    const line = `corral: blocked connection to ${c.host}:${c.port} (${c.rule})\n`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  return lines;
}
