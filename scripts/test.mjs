// `npm test`: every test of the project. Rust first (unit, conformance, property, doc
// tests), then each npm workspace's node:test suites against freshly built bindings, then
// the suites of tests/docs: the READMEs' code run as written, and the packages' TypeScript
// declarations checked as a user's project compiles them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildAll, root, run, workspaces } from './lib.mjs';

run('cargo', ['test', '--workspace']);
buildAll();
if (workspaces().length > 0) run('npm', ['test', '--workspaces', '--if-present']);
const docs = join('tests', 'docs');
const suites = readdirSync(join(root, docs)).filter((f) => f.endsWith('.test.mjs'));
run(process.execPath, ['--test', ...suites.map((f) => join(docs, f))]);
