// The shared API suite (tests/js/api-suite.mjs, the same file the Node package runs) on the
// wasm package: a program written against session-core runs against session-core-wasm.
import * as pkg from 'session-core-wasm';
import { apiSuite, storeSuite } from '../../tests/js/api-suite.mjs';

apiSuite(pkg, { label: 'session-core-wasm' });
storeSuite(pkg, { label: 'session-core-wasm' });
