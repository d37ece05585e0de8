// rest-sessions' own stack, rebuilt here: Express + body-parser JSON + redis-sessions 4.0.0,
// with rest-sessions' routes and responses (app.coffee of rest-sessions 2.x).
// Usage: node express-app.cjs PORT REDIS_PORT
const express = require('express');
const RedisSessions = require('redis-sessions').default ?? require('redis-sessions');

const [port, redisPort] = process.argv.slice(2).map(Number);
const rs = new RedisSessions({ port: redisPort, host: '127.0.0.1', namespace: 'xp', wipe: 0 });
const app = express();
app.use(express.json({ limit: 60000 }));

const respond = (res, p) =>
  p.then(
    (r) => res.json(r ?? {}),
    (e) => res.status(500).json({ name: e.name, message: e.message }),
  );

app.put('/:app/create/:id', (req, res) => {
  const o = { app: req.params.app, id: req.params.id, ip: req.query.ip, ttl: req.query.ttl };
  if (req.body && Object.keys(req.body).length) o.d = req.body;
  respond(res, rs.create(o));
});
app.get('/:app/get/:token', (req, res) => respond(res, rs.get({ app: req.params.app, token: req.params.token })));
app.post('/:app/set/:token', (req, res) =>
  respond(res, rs.set({ app: req.params.app, token: req.params.token, d: req.body })));
app.get('/ping', (req, res) => respond(res, rs.ping()));

app.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
