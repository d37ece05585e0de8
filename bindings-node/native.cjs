// Loads the napi addon. The first of these that exists is loaded (napi-rs's layout, see the
// README's "Install"):
//
//   1. NAPI_RS_NATIVE_LIBRARY_PATH, when set: that file;
//   2. session-core.node next to this file: built here from source (`npm run build`), or
//      carried by a tarball packed on this platform;
//   3. session-core.<platform>.node next to this file (napi-rs's name for a build of one
//      platform, e.g. session-core.linux-x64-gnu.node);
//   4. the package session-core-<platform> (napi-rs's per-platform npm package, an optional
//      dependency that npm installs only on its platform).
//
// When none is there, the error names the platform, what was tried, and how to build the
// addon from source.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** The platform's name in napi-rs's packages: `${platform}-${arch}[-abi]`. */
function platformName() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    if (arch === 'arm') return 'linux-arm-gnueabihf';
    return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** Whether this Linux runs on musl (Alpine) rather than glibc. */
function isMusl() {
  try {
    return !process.report.getReport().header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

function load() {
  const platform = platformName();
  const tried = [];
  const attempt = (what) => {
    tried.push(what);
    return require(what);
  };
  const fromEnv = process.env.NAPI_RS_NATIVE_LIBRARY_PATH;
  if (fromEnv) return attempt(fromEnv);
  for (const file of [join(__dirname, 'session-core.node'), join(__dirname, `session-core.${platform}.node`)]) {
    if (existsSync(file)) return attempt(file);
    tried.push(`${file} (not there)`);
  }
  const pkg = `session-core-${platform}`;
  try {
    return attempt(pkg);
  } catch (e) {
    if (e?.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(pkg)) throw e;
    tried[tried.length - 1] = `the package ${pkg} (not installed)`;
  }
  const err = new Error(
    `session-core: no native addon for ${platform}. Tried: ${tried.join('; ')}. ` +
      `Install the package ${pkg} where it is published, or build the addon from source: in a checkout of ` +
      'session-core, `npm install && npm run build` (needs Rust), then `npm pack` in bindings-node and install that ' +
      'tarball (or point NAPI_RS_NATIVE_LIBRARY_PATH at the built session-core.node).',
  );
  err.code = 'ERR_SESSION_CORE_NO_ADDON';
  err.platform = platform;
  throw err;
}

try {
  module.exports = load();
} catch (e) {
  if (e?.code === 'ERR_SESSION_CORE_NO_ADDON') throw e;
  const err = new Error(
    `session-core: cannot load the native addon (${e?.message ?? e}). ` +
      'Build it from source with `npm run build` in the session-core package of a checkout (needs Rust).',
  );
  err.cause = e;
  throw err;
}
