// The shared API suite (tests/js/api-suite.mjs, the same file the Node package runs) on the
// wasm package: a program written against session-core runs against session-core-wasm, from
// its Node entry (Sessions an EventEmitter of node:events, as in session-core) and from its
// web entry (Sessions on the driver's own Emitter, as in browsers and Workers).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as pkg from 'session-core-wasm';
import * as web from 'session-core-wasm/web';
import { apiSuite, storeSuite } from '../../tests/js/api-suite.mjs';

await web.init(readFileSync(createRequire(import.meta.url).resolve('session-core-wasm/session_core_wasm_bg.wasm')));

apiSuite(pkg, { label: 'session-core-wasm' });
storeSuite(pkg, { label: 'session-core-wasm' });
apiSuite(web, { label: 'session-core-wasm/web' });
