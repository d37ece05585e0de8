import { Sessions } from 'session-core';
const sc = new Sessions();
const N = 10000, toks = [];
const data = () => ({ theme: 'dark', cart: 3, admin: false });
for (let i = 0; i < N; i++) toks.push((await sc.create({ app: 'bench', id: `user${i >> 1}`, ip: '192.168.1.10', d: data() })).token);
let w = 0;
const op = process.argv[2] ?? 'get';
const t0 = performance.now();
const M = 2_000_000;
for (let i = 0; i < M; i++) {
  w = (w + 7919) % N;
  if (op === 'get') await sc.get({ app: 'bench', token: toks[w] });
  else if (op === 'set') await sc.set({ app: 'bench', token: toks[w], d: { cart: i } });
  else await sc.touch({ app: 'bench', token: toks[w] });
}
console.log(op, ((performance.now() - t0) * 1000 / M).toFixed(3), 'us/op');
