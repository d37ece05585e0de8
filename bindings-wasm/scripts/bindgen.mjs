// The wasm-bindgen flags of every glue this package builds (scripts/build.mjs, and the panic
// test's own build in test/panic.test.mjs), so that the tested glue is the shipped one.
//
// --experimental-reset-state-function exports `__wbg_reset_state()`, which replaces the
// module's instance with a fresh one. The .wasm is built with panic = "abort" (there is no
// unwinding on wasm32-unknown-unknown with the stable toolchain), so a panic traps
// (`RuntimeError: unreachable`) and leaves the instance unusable: a borrow flag or a lock
// held, the stack pointer not restored. backend.mjs catches the trap and resets the instance.
export const BINDGEN_FLAGS = ['--no-typescript', '--experimental-reset-state-function'];
