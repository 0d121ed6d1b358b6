import type { TetherClient } from '@tether/client';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { CallHistorySource, CallRecord, CareAdapters } from '../adapters/care.ts';
import type { CallController, CallView } from '../call/call-controller.ts';
import type { Ringtone } from '../call/ringtone.ts';
import { type Link, watchLink } from '../connection.ts';
import type { Identity } from '../identity.ts';
import { useT } from '../i18n/i18n.ts';
import { formatClock, formatDuration } from '../ui/format.ts';
import { useExternal, useNow } from '../ui/hooks.ts';
import { useName } from '../ui/people.ts';
import type { PatientReporting } from './reporting.ts';
import { SosButton } from './sos-button.tsx';

export interface PatientProps {
  client: TetherClient;
  identity: Identity;
  adapters: CareAdapters;
  calls: CallController;
  ringtone: Ringtone;
  /** positions and the heartbeat this page sends */
  reporting: PatientReporting;
}

/** ms an ended call stays on screen before the home screen comes back */
const ENDED_SHOWN_MS = 8_000;

/**
 * The patient's phone screen. Home: whether calls can reach the phone, missed calls with call
 * back, one big button per contact, and SOS. A call takes the whole screen: the caller's name,
 * answer and decline; then the timer, mute and hang up.
 */
export function PatientApp({ client, identity, adapters, calls, ringtone, reporting }: PatientProps) {
  const [link, setLink] = useState<Link>({ status: 'connecting', since: Date.now(), nodeId: null });
  const view = useExternal(useCallback((on) => calls.subscribe(on), [calls]), () => calls.view);
  const needsTap = useExternal(useCallback((on) => ringtone.onChange(on), [ringtone]), () => ringtone.needsTap);
  const permission = useExternal(useCallback((on) => reporting.subscribe(on), [reporting]), () => reporting.view.permission);

  useEffect(() => watchLink(client, setLink), [client]);
  useEffect(() => {
    if (view.phase === 'incoming') ringtone.start();
    else ringtone.stop();
  }, [view.phase, ringtone]);
  useEffect(() => {
    if (view.phase !== 'ended') return;
    // a call that only rang here needs no "call ended" screen: home shows it as missed
    if (view.outcome === 'missed' || view.outcome === 'answered_elsewhere' || sosWaiting(view)) return calls.dismiss();
    const timer = setTimeout(() => calls.dismiss(), ENDED_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [view.phase, view.outcome, calls]);
  // the first touch anywhere allows the ringtone (browsers need one)
  useEffect(() => {
    const unlock = () => void ringtone.unlock();
    document.addEventListener('pointerdown', unlock);
    return () => document.removeEventListener('pointerdown', unlock);
  }, [ringtone]);

  if (view.phase === 'incoming') return <Incoming view={view} calls={calls} />;
  if (view.phase !== 'idle' && !sosWaiting(view)) return <InCall view={view} calls={calls} />;
  return <Home link={link} identity={identity} adapters={adapters} calls={calls} needsTap={needsTap} ringtone={ringtone} locationOff={permission === 'denied'} />;
}

/**
 * An SOS of this phone nobody has taken yet (or that ended so): home stays on screen, where the
 * help button says what is happening; the call screen comes once a caregiver takes it.
 */
function sosWaiting(view: CallView): boolean {
  return view.kind === 'sos' && view.direction === 'outgoing' && view.connectedAt === null && (view.phase === 'calling' || view.phase === 'ringing' || view.phase === 'ended');
}

function Incoming({ view, calls }: { view: CallView; calls: CallController }) {
  const t = useT();
  const name = useName(view.peer);
  return (
    <div class="screen screen-incoming" role="alertdialog" aria-modal="true" aria-labelledby="caller" aria-describedby="calling-you" data-screen="incoming">
      <p class="caller-label" id="calling-you">
        {t('patient.calling_you')}
      </p>
      <h1 class="caller" id="caller" data-caller={view.peer}>
        {name}
      </h1>
      <div class="big-buttons">
        <button type="button" class="big button-answer" data-action="answer" onClick={() => void calls.answer()}>
          {t('call.answer')}
        </button>
        <button type="button" class="big button-decline" data-action="decline" onClick={() => calls.decline()}>
          {t('call.decline')}
        </button>
      </div>
    </div>
  );
}

function InCall({ view, calls }: { view: CallView; calls: CallController }) {
  const t = useT();
  const name = useName(view.peer);
  const now = useNow(1_000);
  const ended = view.phase === 'ended';
  return (
    <main class={`screen screen-call screen-${view.phase}`} aria-labelledby="peer" data-screen="call" data-phase={view.phase}>
      <h1 class="caller" id="peer">
        {name}
      </h1>
      <p class="call-words" role="status">
        {ended ? t(`call.outcome.${view.outcome ?? 'failed'}`, { name }) : t(`call.phase.${view.phase}`, { name })}
      </p>
      {view.phase === 'connected' && view.connectedAt !== null && (
        <p class="timer" data-timer aria-label={t('call.timer_label')}>
          {formatDuration(now - view.connectedAt)}
        </p>
      )}
      {ended && view.durationMs !== null && <p class="timer">{formatDuration(view.durationMs)}</p>}
      {view.weak && !ended && <p class="warning">{t('call.weak')}</p>}
      {view.micBlocked && !ended && <p class="warning">{t('call.mic_blocked')}</p>}
      <div class="big-buttons">
        {(view.phase === 'connecting' || view.phase === 'connected') && (
          <button type="button" class="big button-mute" aria-pressed={view.muted} data-action="mute" onClick={() => calls.toggleMute()}>
            {view.muted ? t('call.unmute') : t('call.mute')}
          </button>
        )}
        {ended ? (
          <button type="button" class="big button-primary" data-action="close" onClick={() => calls.dismiss()}>
            {t('call.ok')}
          </button>
        ) : (
          <button type="button" class="big button-decline" data-action="hangup" onClick={() => calls.hangup()}>
            {t('call.hang_up')}
          </button>
        )}
      </div>
    </main>
  );
}

function Home(props: { link: Link; identity: Identity; adapters: CareAdapters; calls: CallController; needsTap: boolean; ringtone: Ringtone; locationOff: boolean }) {
  const { link, identity, adapters, calls, needsTap, ringtone, locationOff } = props;
  const t = useT();
  const me = useName(identity.userId);
  const missed = useMissed(adapters.calls, identity.userId);
  return (
    <main class="screen screen-home" aria-labelledby="hello" data-screen="home">
      <h1 id="hello">{t('patient.hello', { name: me })}</h1>
      <p class={`reach reach-${link.status}`} role="status" data-status={link.status}>
        {t(`patient.link.${link.status}`)}
      </p>
      {locationOff && (
        <p class="reach reach-location-off" data-location="off">
          {t('patient.location_off')}
        </p>
      )}
      {needsTap && (
        <button type="button" class="big button-sound" data-action="sound" onClick={() => void ringtone.unlock()}>
          {t('patient.sound_on')}
        </button>
      )}
      {missed.calls.length > 0 && <Missed missed={missed.calls} calls={calls} seen={missed.seen} />}
      <section aria-labelledby="contacts-title" class="contacts">
        <h2 id="contacts-title">{t('patient.contacts')}</h2>
        {identity.contacts.length === 0 ? <p>{t('patient.no_contacts')}</p> : identity.contacts.map((id) => <ContactButton key={id} id={id} calls={calls} />)}
      </section>
      <SosButton sos={adapters.sos} />
    </main>
  );
}

function ContactButton({ id, calls }: { id: string; calls: CallController }) {
  const t = useT();
  const name = useName(id);
  return (
    <button type="button" class="big button-answer" data-action="call" data-peer={id} onClick={() => void calls.dial(id)}>
      {t('patient.call', { name })}
    </button>
  );
}

/**
 * Calls that rang this phone and were not answered here (missed, or given up by the caller),
 * from the call history, newest first, until the person says they saw them (remembered in this
 * browser, by the newest one's end).
 */
function useMissed(history: CallHistorySource, userId: string): { calls: readonly CallRecord[]; seen: () => void } {
  const key = `tether.missedSeenUntil.${userId}`;
  const [seenUntil, setSeenUntil] = useState(() => Number(localStorage.getItem(key) ?? 0));
  const [calls, setCalls] = useState<readonly CallRecord[]>([]);
  useEffect(() => history.watch(setCalls), [history]);
  const missed = calls.filter((c) => c.direction === 'incoming' && c.answeredAt === null && (c.reason === 'missed' || c.reason === 'cancelled') && c.endedAt > seenUntil);
  const seen = () => {
    const until = Math.max(seenUntil, ...missed.map((c) => c.endedAt));
    localStorage.setItem(key, String(until));
    setSeenUntil(until);
  };
  return { calls: missed, seen };
}

function Missed({ missed, calls, seen }: { missed: readonly CallRecord[]; calls: CallController; seen: () => void }) {
  const t = useT();
  const latest = missed[0]!;
  const name = useName(latest.peer);
  return (
    <section class="missed" role="alert" data-missed={latest.peer}>
      <p>{t('patient.missed', { name, time: formatClock(t, latest.endedAt) })}</p>
      {missed.length > 1 && <p>{t('patient.missed_more', { n: missed.length - 1 })}</p>}
      <div class="big-buttons">
        <button
          type="button"
          class="big button-answer"
          data-action="call-back"
          onClick={() => {
            seen();
            void calls.dial(latest.peer);
          }}
        >
          {t('patient.call_back', { name })}
        </button>
        <button type="button" class="big button-quiet" data-action="missed-seen" onClick={seen}>
          {t('call.ok')}
        </button>
      </div>
    </section>
  );
}
