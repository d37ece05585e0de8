// The Worker: session-core-wasm's, as it is. To add routes of your own, see the README of
// session-core-wasm ("A Worker of your own").
export { default, SessionsObject, AppsObject } from 'session-core-wasm/worker';
