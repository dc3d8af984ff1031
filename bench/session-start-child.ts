/**
 * Child of bench/session-start.ts, started as `unshare --mount --propagation private node
 * session-start-child.js <base64 JSON>`: binds the workspace as an idmapped mount in its
 * own throwaway mount namespace (what the runner's root phase does) and prints how long
 * that took, in milliseconds. The namespace, and the mount, end with this process.
 */
import { idmapWorkspace, type IdmapMapping } from '../runner/linux/idmap.js';

const { path, mapping } = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8')) as { path: string; mapping: IdmapMapping };
const t0 = process.hrtime.bigint();
idmapWorkspace(path, mapping);
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));
