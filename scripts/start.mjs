// `npm start`: the main job. Until the REST server exists, a runnable demo of the core.
import { run } from './lib.mjs';

run('cargo', ['run', '--release', '-q', '-p', 'session-core', '--example', 'demo']);
