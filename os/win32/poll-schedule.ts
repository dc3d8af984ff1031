/**
 * How often the runner polls a command's pipes (pipe.ts explains why it polls). Pure.
 * While output flows, poll again at once (setImmediate: the event loop still turns between
 * polls); when nothing came, back off 1, 2, 4 … up to MAX_IDLE_DELAY_MS, so an idle command
 * costs a timer tick every few tens of milliseconds and a busy one is drained as fast as it
 * writes.
 */
export const READ_CHUNK_BYTES = 256 * 1024;
export const MAX_IDLE_DELAY_MS = 32;

export function nextPollDelay(previousMs: number, gotData: boolean): number {
  if (gotData) return 0;
  return Math.min(MAX_IDLE_DELAY_MS, Math.max(1, previousMs * 2));
}
