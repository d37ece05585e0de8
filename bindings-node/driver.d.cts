// Types of `require('session-core/driver')`: those of the shared driver, session-core-driver.
import driver = require('session-core-driver');
export = driver;
