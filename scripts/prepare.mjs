// `npm install` at the root (its `prepare` step): builds the bindings, so that the packages
// are usable right after install: the napi addon (session-core) and the .wasm with its glue
// (session-core-wasm), each by its workspace's `build` script.
import { buildAll } from './lib.mjs';

buildAll();
