// `npm start`: the main job. Builds and starts the REST server on the embedded memory store
// (http://127.0.0.1:3000; pass flags after `--`, e.g. `npm start -- --port 4000`).
import { run } from './lib.mjs';

run('cargo', [
  'run', '--release', '-q', '-p', 'session-core-server', '--', ...process.argv.slice(2),
]);
