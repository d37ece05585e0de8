// `require('session-core/driver')`: the shared JavaScript driver, package session-core-driver.
'use strict';
module.exports = require('session-core-driver');
