import { useEffect, useState } from 'preact/hooks';
import type { CallHistorySource, CallRecord } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';
import { formatClock, formatDuration } from './format.ts';
import { useName } from './people.ts';

/** Recent calls, missed ones marked, each with a call-back button. */
export function CallList({ source, onCall }: { source: CallHistorySource; onCall: (peer: string) => void }) {
  const t = useT();
  const [calls, setCalls] = useState<readonly CallRecord[]>([]);
  useEffect(() => source.watch(setCalls), [source]);
  return (
    <section class="panel" aria-labelledby="calls-title">
      <h2 id="calls-title">{t('calls.title')}</h2>
      {calls.length === 0 ? (
        source.failed ? (
          <p class="warning">{t('calls.failed')}</p>
        ) : (
          <p class="empty">{t('calls.none')}</p>
        )
      ) : (
        <>
          {source.failed && <p class="warning">{t('calls.failed')}</p>}
          <ul class="calls">
            {calls.map((call) => (
              <CallItem key={call.callId} call={call} onCall={onCall} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The words for how a call went, from this user's side: a call that rang here unanswered is missed. */
function reasonKey(call: CallRecord) {
  if (call.direction === 'incoming' && call.answeredAt === null && (call.reason === 'missed' || call.reason === 'cancelled')) return 'calls.reason.missed' as const;
  if (call.direction === 'outgoing' && call.reason === 'missed') return 'calls.reason.no_answer' as const;
  return `calls.reason.${call.reason}` as const;
}

function CallItem({ call, onCall }: { call: CallRecord; onCall: (peer: string) => void }) {
  const t = useT();
  const name = useName(call.peer);
  const key = reasonKey(call);
  const missed = key === 'calls.reason.missed';
  const who = call.kind === 'sos' && call.direction === 'incoming' ? t('calls.sos_from', { name }) : t(`calls.${call.direction}`, { name });
  return (
    <li class={`call-record${missed ? ' call-missed' : ''}`} data-call={call.callId} data-reason={call.reason} data-missed={missed ? '' : undefined}>
      <p>
        <strong>{who}</strong> · {t(key)}
      </p>
      <p class="call-when">
        {formatClock(t, call.startedAt)}
        {call.answeredAt !== null && ` · ${formatDuration(call.durationMs)}`}
      </p>
      <button type="button" class="button" data-action="call-back" onClick={() => onCall(call.peer)}>
        {t('calls.call_back', { name })}
      </button>
    </li>
  );
}
