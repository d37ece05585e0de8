// The conformance vectors (tests/vectors), through the wasm package's public API under Node:
// on the in-module memory store and on the reference JS store (MapStore), synchronous and
// asynchronous, exactly as the Node package runs them.
import { MapStore, Sessions } from 'session-core-wasm';
import { runVectors } from '../../tests/js/vectors.mjs';

class AsyncMapStore extends MapStore {
  async apply(batch) {
    await Promise.resolve();
    return super.apply(batch);
  }
}

runVectors('wasm, memory store', (clock) => new Sessions({ clock, wipe: 0 }));
runVectors('wasm, MapStore', (clock) => new Sessions({ clock, wipe: 0, store: new MapStore() }));
runVectors('wasm, async MapStore', (clock) => new Sessions({ clock, wipe: 0, store: new AsyncMapStore() }));
