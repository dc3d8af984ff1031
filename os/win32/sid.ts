/** SID strings as text: a pure check, made before any Win32 API sees one. */
const SID_TEXT = /^S-1-\d+(-\d+){1,15}$/;

/** A SID string as text (pure check before any API sees it). */
export function isSidString(value: string): boolean {
  return SID_TEXT.test(value);
}
