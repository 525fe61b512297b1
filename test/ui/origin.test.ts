/** The rack's Host and Origin rules (src/ui/origin.ts): what a browser elsewhere cannot get past. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseHost, refuseOrigin, splitHost } from '../../src/ui/origin';

test('rack origin: the Host must be an address or localhost with our port (DNS rebinding refused)', () => {
  for (const ok of ['127.0.0.1:57131', 'localhost:57131', 'LOCALHOST:57131', '[::1]:57131', '192.168.1.20:57131']) assert.equal(refuseHost(ok, 57131), undefined, ok);
  assert.match(refuseHost('evil.example:57131', 57131)!, /DNS rebinding/);
  assert.match(refuseHost('127.0.0.1.nip.io:57131', 57131)!, /DNS rebinding/);
  assert.match(refuseHost('127.0.0.1:8080', 57131)!, /not this server's port/);
  assert.match(refuseHost('127.0.0.1', 57131)!, /not this server's port/);
  assert.match(refuseHost(undefined, 57131)!, /no Host/);
  assert.match(refuseHost('a:b:c', 57131)!, /bad Host/);
  assert.deepEqual(splitHost('[::1]:80'), { name: '::1', port: 80 });
});

test('rack origin: a WebSocket Origin must be this very server; no Origin (not a browser) passes', () => {
  assert.equal(refuseOrigin('http://127.0.0.1:57131', '127.0.0.1:57131'), undefined);
  assert.equal(refuseOrigin(undefined, '127.0.0.1:57131'), undefined);
  assert.match(refuseOrigin('http://localhost:57131', '127.0.0.1:57131')!, /foreign Origin/);
  assert.match(refuseOrigin('https://127.0.0.1:57131', '127.0.0.1:57131')!, /foreign Origin/);
  assert.match(refuseOrigin('null', '127.0.0.1:57131')!, /foreign Origin/);
  assert.match(refuseOrigin('http://127.0.0.1:57132', '127.0.0.1:57131')!, /foreign Origin/);
});
