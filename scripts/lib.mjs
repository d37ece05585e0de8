// Small helpers shared by the root scripts: run a command, fail loudly, and make sure the npm
// workspaces are installed before anything needs them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

/** The npm workspaces listed in the root package.json. */
export function workspaces() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
}

/** Installs the npm workspaces when they have not been installed yet, or when the lockfile
 *  changed since (a pull or a merge that brought new dependencies). (Without the root's
 *  `prepare`, which builds the bindings: the callers build them next, in one place.) */
export function ensureInstalled() {
  if (workspaces().length === 0) return;
  const installed = join(root, 'node_modules', '.package-lock.json');
  const stale = !existsSync(installed) || statSync(join(root, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs;
  if (stale) run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts']);
}

/** Builds every workspace that has a build script (native addons, wasm). */
export function buildAll() {
  ensureInstalled();
  if (workspaces().length > 0) run('npm', ['run', 'build', '--workspaces', '--if-present']);
}
