import { useEffect, useState } from 'preact/hooks';
import type { CallHistorySource, CallRecord } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';
import { formatClock, formatDuration } from './format.ts';
import { NotConnected } from './not-connected.tsx';
import { useName } from './people.ts';

/** Recent calls, missed ones marked, each with a call-back button. */
export function CallList({ source, onCall }: { source: CallHistorySource; onCall: (peer: string) => void }) {
  const t = useT();
  const [calls, setCalls] = useState<readonly CallRecord[]>([]);
  useEffect(() => source.watch(setCalls), [source]);
  return (
    <section class="panel" aria-labelledby="calls-title">
      <h2 id="calls-title">{t('calls.title')}</h2>
      {!source.connected ? (
        <NotConnected feature="calls" />
      ) : calls.length === 0 ? (
        <p class="empty">{t('calls.none')}</p>
      ) : (
        <ul class="calls">
          {calls.map((call) => (
            <CallItem key={call.callId} call={call} onCall={onCall} />
          ))}
        </ul>
      )}
    </section>
  );
}

function CallItem({ call, onCall }: { call: CallRecord; onCall: (peer: string) => void }) {
  const t = useT();
  const name = useName(call.peer);
  const missed = call.reason === 'missed' && call.direction === 'incoming';
  return (
    <li class={`call-record${missed ? ' call-missed' : ''}`} data-call={call.callId} data-reason={call.reason}>
      <p>
        <strong>{t(`calls.${call.direction}`, { name })}</strong> · {t(`calls.reason.${call.reason}`)}
      </p>
      <p class="call-when">
        {formatClock(t, call.startedAt)}
        {call.reason === 'answered' && call.endedAt !== undefined && ` · ${formatDuration(call.endedAt - call.startedAt)}`}
      </p>
      <button type="button" class="button" onClick={() => onCall(call.peer)}>
        {t('calls.call_back', { name })}
      </button>
    </li>
  );
}
