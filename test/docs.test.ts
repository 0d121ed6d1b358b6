import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.ts';
import {
  ALERT_EVENTS,
  ALERT_REASONS,
  CALL_END_REASONS,
  CALL_EVENTS,
  CLIENT_MESSAGE_TYPES,
  CLOSE_CODES,
  CallKind,
  CallState,
  ERROR_CODE_LIST,
  LocationPermission,
  REPORT_REASONS,
  SIGNAL_KINDS,
  STATUS_REASONS,
  ServerMessage,
  TRACKING_STATUSES,
  ZoneAlertOn,
  ZoneShape,
} from '../src/protocol/index.ts';
import { WEBHOOK_EVENT_TYPES } from '../src/webhook/webhook.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs stay complete', () => {
  const protocol = read('docs/protocol.md');

  it.each(ERROR_CODE_LIST)('docs/protocol.md documents error code %s', (code) => {
    expect(protocol).toContain(`\`${code}\``);
  });

  it.each(Object.entries(CLOSE_CODES))('docs/protocol.md documents close code %s (%i)', (_name, code) => {
    expect(protocol).toContain(String(code));
  });

  it.each(['UNAUTHORIZED', 'ORIGIN_NOT_ALLOWED', 'NOT_FOUND', 'TOO_MANY_CONNECTIONS', 'SHUTTING_DOWN', 'AUTH_UNAVAILABLE', 'INTERNAL'])(
    'docs/protocol.md documents upgrade refusal %s',
    (code) => expect(protocol).toContain(`\`${code}\``),
  );

  it('documents every client and server frame type and signal kind', () => {
    const serverTypes = ServerMessage.options.map((o) => o.shape.type.value);
    for (const type of [...CLIENT_MESSAGE_TYPES, ...serverTypes, ...SIGNAL_KINDS]) expect(protocol).toContain(`\`${type}\``);
  });

  it('documents every call state, end reason, call frame event and call kind', () => {
    expect(protocol).toContain('## 15. Calls');
    const calls = protocol.slice(protocol.indexOf('## 15. Calls'));
    for (const name of [...CallState.options, ...CALL_END_REASONS, ...CALL_EVENTS, ...CallKind.options]) expect(calls).toContain(`\`${name}\``);
  });

  it.each(WEBHOOK_EVENT_TYPES)('docs/operations.md documents webhook event %s', (type) => {
    expect(read('docs/operations.md')).toContain(`| \`${type}\` |`);
  });

  it('documents every safety state: alert reasons and events, statuses and their reasons, report reasons, zone and device values', () => {
    const values = [
      ...ALERT_REASONS,
      ...ALERT_EVENTS,
      ...TRACKING_STATUSES,
      ...STATUS_REASONS,
      ...REPORT_REASONS,
      ...ZoneAlertOn.options,
      ...LocationPermission.options,
      ...ZoneShape.options.map((o) => o.shape.kind.value),
      'open',
      'acknowledged',
      'put',
      'deleted',
    ];
    for (const value of values) expect(protocol).toContain(`\`${value}\``);
  });

  it.each(['alert.raised', 'alert.escalated', 'alert.acknowledged', 'tether_alerts_open', 'tether_alerts_raised_total'])('docs/operations.md documents %s', (name) => {
    expect(read('docs/operations.md')).toContain(`\`${name}\``);
  });

  it.each(Object.keys(ConfigSchema.shape))('docs/operations.md documents %s', (name) => {
    expect(read('docs/operations.md')).toContain(`\`${name}\``);
  });
});
