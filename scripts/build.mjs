// `npm run build`: the Rust workspace and every npm workspace's build (addon, wasm).
import { buildAll, run } from './lib.mjs';

run('cargo', ['build', '--workspace', '--release']);
buildAll();
