import type { CallController, CallView } from '../call/call-controller.ts';
import { useT } from '../i18n/i18n.ts';
import { formatDuration } from '../ui/format.ts';
import { useNow } from '../ui/hooks.ts';
import { useName } from '../ui/people.ts';

/** The console's call: calling, ringing, an incoming call, the call itself, how it ended. */
export function CallPanel({ view, calls }: { view: CallView; calls: CallController }) {
  const t = useT();
  const name = useName(view.peer);
  const now = useNow(1_000);
  if (view.phase === 'idle' || view.peer === null) return null;
  const peer = view.peer;
  const incoming = view.phase === 'incoming';
  return (
    <section class={`call-panel call-${view.phase}`} role={incoming ? 'alertdialog' : 'region'} aria-labelledby="call-title" aria-describedby="call-status" data-phase={view.phase} data-kind={view.kind}>
      <h2 id="call-title">{incoming ? t(view.kind === 'sos' ? 'call.sos_from' : 'call.incoming_from', { name }) : t('call.with', { name })}</h2>
      <p id="call-status" class="call-status" aria-live="polite">
        {view.phase === 'ended' ? t(`call.outcome.${view.outcome ?? 'failed'}`, { name }) : t(`call.phase.${view.phase}`, { name })}
        {view.phase === 'connected' && view.connectedAt !== null && (
          <span class="timer" data-timer>
            {' '}
            {formatDuration(now - view.connectedAt)}
          </span>
        )}
        {view.phase === 'ended' && view.durationMs !== null && <span> · {formatDuration(view.durationMs)}</span>}
      </p>
      {view.weak && view.phase !== 'ended' && <p class="warning">{t('call.weak')}</p>}
      {view.micBlocked && view.phase !== 'ended' && <p class="warning">{t('call.mic_blocked')}</p>}
      <div class="row">
        {incoming && (
          <>
            <button type="button" class="button button-answer" data-action="answer" onClick={() => void calls.answer()}>
              {t('call.answer')}
            </button>
            <button type="button" class="button button-decline" data-action="decline" onClick={() => calls.decline()}>
              {t('call.decline')}
            </button>
          </>
        )}
        {(view.phase === 'connecting' || view.phase === 'connected') && (
          <button type="button" class="button" aria-pressed={view.muted} data-action="mute" onClick={() => calls.toggleMute()}>
            {view.muted ? t('call.unmute') : t('call.mute')}
          </button>
        )}
        {view.phase !== 'ended' && !incoming && (
          <button type="button" class="button button-decline" data-action="hangup" onClick={() => calls.hangup()}>
            {view.phase === 'calling' || view.phase === 'ringing' ? t('call.cancel') : t('call.hang_up')}
          </button>
        )}
        {view.phase === 'ended' && (
          <>
            <button type="button" class="button button-primary" data-action="call-again" onClick={() => { calls.dismiss(); void calls.dial(peer); }}>
              {t('call.call_again', { name })}
            </button>
            <button type="button" class="button button-quiet" data-action="close" onClick={() => calls.dismiss()}>
              {t('call.close')}
            </button>
          </>
        )}
      </div>
    </section>
  );
}
