// The shared API suite (tests/js/api-suite.mjs) on this package, loaded both ways.
import { createRequire } from 'node:module';
import * as pkg from 'session-core';
import { apiSuite, storeSuite } from '../../tests/js/api-suite.mjs';

const cjs = createRequire(import.meta.url)('session-core');

apiSuite(pkg, { label: 'session-core (napi)', cjs });
storeSuite(pkg, { label: 'session-core (napi)' });
