/**
 * Opens a session through the library API (as the CLI would, as root on the test user's
 * behalf via SUDO_* in the environment) and prints the runner's `hello` enforcement as JSON.
 * argv[2]: the workspace.
 */
import { openSession } from '../../../orchestrator/index.js';

const session = await openSession({ workspace: process.argv[2]!, audit: false });
try {
  process.stdout.write(JSON.stringify(session.enforcement));
} finally {
  await session.close();
}
