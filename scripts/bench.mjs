// `npm run bench`: every side-by-side benchmark (not part of the tests).
import { buildAll, run, workspaces } from './lib.mjs';

run('cargo', ['bench', '-p', 'session-core', '--bench', 'memory_store', '--bench', 'footprint', '--bench', 'snapshot_stall']);
// Rust web apps: session-core-tower against tower-sessions (memory and Redis), over HTTP.
run('cargo', ['bench', '-p', 'session-core-tower-bench']);
buildAll();
if (workspaces().length > 0) run('npm', ['run', 'bench', '--workspaces', '--if-present']);
