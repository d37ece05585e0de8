// The conformance vectors (tests/vectors), through the package's public API, on the embedded
// memory store and on the reference JS store (MapStore), synchronous and asynchronous.
import { MapStore, Sessions } from 'session-core';
import { runVectors } from '../../tests/js/vectors.mjs';

class AsyncMapStore extends MapStore {
  async apply(batch) {
    await Promise.resolve();
    return super.apply(batch);
  }
}

runVectors('memory store', (clock) => new Sessions({ clock, wipe: 0 }));
runVectors('MapStore', (clock) => new Sessions({ clock, wipe: 0, store: new MapStore() }));
runVectors('async MapStore', (clock) => new Sessions({ clock, wipe: 0, store: new AsyncMapStore() }));
