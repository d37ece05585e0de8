// session-core for Node.js (CommonJS): the same API as index.mjs.
'use strict';
const { makeSessionsClass, MapStore, SessionError } = require('./driver.cjs');

const Sessions = makeSessionsClass(require('./backend.cjs'));

module.exports = { Sessions, MapStore, SessionError, default: Sessions };
