// `require('session-core-wasm/testkit')`: the same kit as testkit.mjs, from CommonJS.
'use strict';
const { makeStoreKit, MAX_BATCH, MAX_SCORE } = require('session-core-driver/testkit');
const { Sessions } = require('./index.cjs');

const { storeKit, runStoreKit } = makeStoreKit(Sessions);

module.exports = { storeKit, runStoreKit, MAX_BATCH, MAX_SCORE };
