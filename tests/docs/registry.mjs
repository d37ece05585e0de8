// A package registry on a spare loopback port that serves what this workspace has installed, and
// nothing else: every package of the workspace's lockfile at the lock's exact version, each as a
// tarball of its installed folder (the optional packages of other platforms, which are not
// installed here, have their manifests from the lock and no tarball: npm never fetches them). The packaging tests (pack.test.mjs,
// worker-project.test.mjs) install the packed tarballs of this repository in fresh folders with
// `npm install` pointed here and an empty cache of their own, so that they need no network and
// no npm cache, and can never get a version other than the lock's.
//
// It runs as a child process (`node registry.mjs <port>`), because the tests run npm with
// spawnSync, which would block a server in the test's own process; `startRegistry` starts it
// and stops it by pid.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopByPid, track } from '../js/processes.mjs';
import { sparePort } from '../js/redis-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Every package of the workspace's lockfile: `Map<name, Map<version, { folder, locked }>>`,
 * `folder` being where it is installed (null for the optional packages of other platforms,
 * which the lock lists but this machine has not installed) and `locked` its lockfile entry.
 * The workspace's own packages (links) are left out: the tests install them from their packed
 * tarballs, never from here.
 */
export function lockedPackages() {
  const { packages } = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const found = new Map();
  for (const [path, locked] of Object.entries(packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || locked.link) continue;
    const name = locked.name ?? path.slice(at + 'node_modules/'.length);
    const folder = existsSync(join(root, path, 'package.json')) ? join(root, path) : null;
    if (!found.has(name)) found.set(name, new Map());
    const known = found.get(name).get(locked.version);
    if (known === undefined || (known.folder === null && folder !== null)) found.get(name).set(locked.version, { folder, locked });
  }
  return found;
}

/** The manifest a registry gives for a locked package: its own, or (not installed) the lock's. */
function manifestOf(name, { folder, locked }) {
  if (folder !== null) return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const fields = ['version', 'license', 'os', 'cpu', 'libc', 'engines', 'bin', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta'];
  return { name, ...Object.fromEntries(fields.filter((f) => locked[f] !== undefined).map((f) => [f, locked[f]])) };
}

/** The registry's HTTP server (in the child process). */
function serve(port) {
  const packages = lockedPackages();
  const tarballs = mkdtempSync(join(tmpdir(), 'session-core-registry-'));
  process.on('exit', () => rmSync(tarballs, { recursive: true, force: true }));
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
  const base = `http://127.0.0.1:${port}`;
  /** `{ file, integrity, shasum }` of a package folder packed as npm packs one (`package/...`). */
  const packed = new Map();
  const pack = (name, version) => {
    const key = `${name}@${version}`;
    if (!packed.has(key)) {
      const file = join(tarballs, `${key.replace(/[@/]/g, '_')}.tar`);
      // The installed folder holds the files of the published tarball; its own node_modules
      // (nested dependencies) are installed, not published.
      const r = spawnSync('tar', ['-cf', file, '--exclude=./node_modules', '--transform', 's,^\\.,package,', '-C', packages.get(name).get(version).folder, '.']);
      if (r.status !== 0) throw new Error(`tar of ${key}: ${r.stderr}`);
      const bytes = readFileSync(file);
      packed.set(key, {
        file,
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
      });
    }
    return packed.get(key);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, base);
    const path = decodeURIComponent(url.pathname).slice(1);
    const fail = (status, error) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error }));
    };
    try {
      if (path === '-/tarball') {
        const [name, version] = [url.searchParams.get('name'), url.searchParams.get('version')];
        if (!packages.get(name)?.get(version)?.folder) return fail(404, `${name}@${version} is not installed in the workspace`);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(readFileSync(pack(name, version).file));
      }
      const versions = packages.get(path);
      if (!versions) return fail(404, `${path} is not in the workspace's lockfile`);
      const doc = { name: path, 'dist-tags': {}, versions: {} };
      for (const [version, entry] of versions) {
        const tarball = `${base}/-/tarball?${new URLSearchParams({ name: path, version })}`;
        const dist = entry.folder === null ? { tarball, integrity: entry.locked.integrity } : { tarball, ...pack(path, version) };
        delete dist.file;
        doc.versions[version] = { ...manifestOf(path, entry), _id: `${path}@${version}`, dist };
      }
      // `latest` is the highest locked version (what a bare `npm install name` would take).
      const sorted = [...versions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      doc['dist-tags'].latest = sorted.at(-1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    } catch (e) {
      fail(500, String(e?.stack ?? e));
    }
  });
  server.listen(port, '127.0.0.1', () => console.log(`registry on ${base}`));
}

/**
 * Starts the registry on a spare port; resolves to `{ url, env(cache), stop() }`, where
 * `env(cache)` is the environment that points npm at it with the given (empty) cache folder.
 */
export async function startRegistry() {
  const port = await sparePort();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child, 'SIGKILL');
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('registry on ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the registry exited (${code}): ${out}`)));
  });
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    env: (cache) => ({ ...process.env, npm_config_registry: url, npm_config_cache: cache, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }),
    stop: () => stopByPid(child, 'SIGTERM'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve(Number(process.argv[2]));
