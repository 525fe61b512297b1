/**
 * Every event a /notify subscriber received is in docs/osc.md's events table: anything received that
 * is not a reply (to a command's reply address, or /fail) is an event, and must be documented there.
 * Returns the event addresses received.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, replyAddress } from '../../src/protocol/commands';
import { ROOT } from './cli';

export function assertEventsDocumented(received: readonly { address: string }[]): string[] {
  const doc = readFileSync(join(ROOT, 'docs/osc.md'), 'utf8');
  const events = doc.slice(doc.indexOf('## Events'), doc.indexOf('## /status'));
  const replies = new Set(['/fail', ...Object.values(COMMANDS).map((spec) => replyAddress(spec))]);
  const sent = [...new Set(received.map((r) => r.address).filter((a) => !replies.has(a)))];
  assert.ok(sent.length > 0, 'some events were received');
  for (const address of sent) assert.ok(events.includes(`| \`${address}\` |`), `${address} is sent to subscribers but missing from docs/osc.md's events`);
  return sent;
}
