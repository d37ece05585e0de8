// Loads the napi addon built by `npm run build` (napi build --release): session-core.node.
'use strict';
const { join } = require('node:path');

const file = join(__dirname, 'session-core.node');
try {
  module.exports = require(file);
} catch (e) {
  const err = new Error(
    `session-core: cannot load the native addon ${file} (${e.message}). ` +
      'Build it from source with `npm run build` in the session-core package (needs Rust).',
  );
  err.cause = e;
  throw err;
}
