// `npm test`: every test of the project. Rust first (unit, conformance, property, doc
// tests), then each npm workspace's node:test suites against freshly built bindings.
import { buildAll, run, workspaces } from './lib.mjs';

run('cargo', ['test', '--workspace']);
buildAll();
if (workspaces().length > 0) run('npm', ['test', '--workspaces', '--if-present']);
