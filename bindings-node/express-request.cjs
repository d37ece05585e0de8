// `require('session-core/express-request')`: types only (express-request.d.cts); nothing to load.
'use strict';
module.exports = {};
