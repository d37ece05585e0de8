// `require('session-core/fastify')`: the same as fastify.mjs.
'use strict';
const { makeFastify } = require('session-core-driver/fastify');
const { Sessions } = require('./index.cjs');

const { sessionPlugin, authenticateRequest } = makeFastify({ Sessions, redis: true });
module.exports = { sessionPlugin, authenticateRequest, default: sessionPlugin };
