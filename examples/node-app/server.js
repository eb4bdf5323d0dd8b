// A Burrow example app: JSON on 8080, Burrow's lifecycle hooks on 9000 (Node's standard library only).
//
// GET / on 8080 answers {"app": "node-app", "hits": N, "instance": ..., "payload": ...}.
// The hooks (docs/lifecycle.md) are POST /burrow/v1/<hook> on 9000:
//   ready     200 once the app answers on 8080 (503 before: "not yet")
//   validate  200 when GET /health answers as it should (run once, on the template, at build time)
//   run       a microVM starts from the template: count hits from 0, take its hostname and payload
//   suspend   write the counter to disk, resume reads it back (a resumed microVM goes on counting)
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');

const APP_PORT = Number(process.env.APP_PORT || 8080);
const HOOKS_PORT = Number(process.env.HOOKS_PORT || 9000);
const STATE_FILE = process.env.STATE_FILE || '/tmp/node-app.state';
const MAX_PAYLOAD = 64 * 1024;

let state = { hits: 0, instance: os.hostname(), payload: null };

const app = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') state.hits += 1;
  const body = JSON.stringify({ app: 'node-app', hits: state.hits, instance: state.instance, payload: state.payload });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});

function appAnswers() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: APP_PORT, path: '/health', timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try { resolve(res.statusCode === 200 && JSON.parse(text).app === 'node-app'); } catch { resolve(false); }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const hooks = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= MAX_PAYLOAD) chunks.push(c);
  });
  req.on('end', async () => {
    const hook = req.method === 'POST' && req.url.startsWith('/burrow/v1/') ? req.url.slice('/burrow/v1/'.length) : '';
    let status = 200;
    switch (hook) {
      case 'ready':
      case 'validate':
        status = (await appAnswers()) ? 200 : 503;
        break;
      case 'run': {
        const payload = Buffer.concat(chunks).toString('utf8');
        state = { hits: 0, instance: os.hostname(), payload: payload || null };
        break;
      }
      case 'suspend':
        fs.writeFileSync(STATE_FILE, JSON.stringify(state));
        break;
      case 'resume':
        if (fs.existsSync(STATE_FILE)) state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
        break;
      case 'terminate':
        break;
      default:
        status = 404;
    }
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
  });
});

hooks.listen(HOOKS_PORT, '0.0.0.0');
app.listen(APP_PORT, '0.0.0.0', () => console.log(`node-app on :${APP_PORT}, hooks on :${HOOKS_PORT}`));
