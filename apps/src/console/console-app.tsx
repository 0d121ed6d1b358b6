import type { TetherClient } from '@tether/client';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { CareAdapters } from '../adapters/care.ts';
import type { CallController } from '../call/call-controller.ts';
import type { Ringtone } from '../call/ringtone.ts';
import type { AppConfig } from '../config.ts';
import { type Link, type ServerClock, watchLink } from '../connection.ts';
import type { Identity } from '../identity.ts';
import { useT } from '../i18n/i18n.ts';
import { AlertsPanel } from '../ui/alerts-panel.tsx';
import { CallList } from '../ui/call-list.tsx';
import { ConnectionBanner } from '../ui/connection-banner.tsx';
import { useExternal, useNow } from '../ui/hooks.ts';
import { PeopleContext, useName } from '../ui/people.ts';
import { useContext } from 'preact/hooks';
import { CallPanel } from './call-panel.tsx';
import { PatientCard } from './patient-card.tsx';
import { PatientMap } from './patient-map.ts';
import type { PatientPlace, PatientTracker } from './patients.ts';
import { TrailControls } from './trail-controls.tsx';
import { type TrailPoint, type TrailRange, extendTrail, loadTrail } from './trail.ts';
import { ZonesPanel } from './zones-panel.tsx';

export interface ConsoleProps {
  client: TetherClient;
  identity: Identity;
  config: AppConfig;
  adapters: CareAdapters;
  calls: CallController;
  clock: ServerClock;
  tracker: PatientTracker;
  /** rings for incoming calls (a patient's call or SOS) */
  ringtone: Ringtone;
}

/** The caregiver console: every granted patient on a map and in a list, trail, zones, alerts, calls. */
export function ConsoleApp({ client, identity, config, adapters, calls, clock, tracker, ringtone }: ConsoleProps) {
  const t = useT();
  const people = useContext(PeopleContext);
  const me = useName(identity.userId);
  const [link, setLink] = useState<Link>({ status: 'connecting', since: Date.now(), nodeId: null });
  const [places, setPlaces] = useState<PatientPlace[]>(() => [...tracker.places.values()]);
  const [selected, setSelected] = useState<string | null>(null);
  const [range, setRange] = useState<TrailRange>(60 * 60_000);
  const [trail, setTrail] = useState<TrailPoint[]>([]);
  const [trailState, setTrailState] = useState<'loading' | 'ready' | 'failed'>('ready');
  const [map, setMap] = useState<PatientMap | null>(null);
  const mapElement = useRef<HTMLDivElement>(null);
  const selectedRef = useRef<string | null>(null);
  selectedRef.current = selected;
  useNow(1_000);
  const serverNow = clock.now();
  const view = useExternal(useCallback((on) => calls.subscribe(on), [calls]), () => calls.view);

  useEffect(() => watchLink(client, setLink), [client]);
  useEffect(() => {
    if (view.phase === 'incoming') ringtone.start();
    else ringtone.stop();
  }, [view.phase, ringtone]);
  // the first click anywhere allows the ringtone (browsers need one)
  useEffect(() => {
    const unlock = () => void ringtone.unlock();
    document.addEventListener('pointerdown', unlock);
    return () => document.removeEventListener('pointerdown', unlock);
  }, [ringtone]);

  useEffect(() => {
    const made = new PatientMap(mapElement.current!, config, t, (id) => setSelected(id));
    setMap(made);
    return () => made.remove();
  }, [config, t]);

  // each effect listens first, then reads what is there already: no fix falls in between
  useEffect(() => {
    const sync = () => setPlaces([...tracker.places.values()]);
    const off = tracker.onFix(sync);
    sync();
    return off;
  }, [tracker]);

  useEffect(() => {
    if (!map) return;
    const place = (p: PatientPlace) => {
      if (p.fix) map.setPatient(p.patientId, people.nameOf(p.patientId), p.fix, p.patientId === selectedRef.current);
      map.fitEveryone();
    };
    const off = tracker.onFix(place);
    tracker.places.forEach(place);
    return off;
  }, [map, tracker, people]);

  useEffect(
    () =>
      tracker.onFix((p) => {
        if (p.fix && p.fix.live && p.patientId === selectedRef.current) setTrail((old) => extendTrail(old, p.fix!, range, clock.now()));
      }),
    [tracker, range, clock],
  );

  // the selected patient's trail: read on selection, range change and every (re)connection
  useEffect(() => {
    if (selected === null) {
      setTrail([]);
      return;
    }
    let current = true;
    const load = () => {
      setTrailState('loading');
      loadTrail(client, selected, range, clock.now()).then(
        (points) => {
          if (!current) return;
          setTrail(points);
          setTrailState('ready');
        },
        () => current && setTrailState('failed'),
      );
    };
    load();
    const off = client.on('welcome', load);
    return () => {
      current = false;
      off();
    };
  }, [client, selected, range, clock]);

  useEffect(() => map?.setTrail(trail), [map, trail]);
  useEffect(() => {
    if (!map) return;
    for (const p of tracker.places.values()) if (p.fix) map.setPatient(p.patientId, people.nameOf(p.patientId), p.fix, p.patientId === selected);
    if (selected !== null) map.focus(selected);
  }, [map, selected]);

  const busy = view.phase !== 'idle' && view.phase !== 'ended';
  return (
    <div class="console">
      <header class="top">
        <h1>{t('console.title')}</h1>
        <p class="me">{t('console.signed_in_as', { name: me })}</p>
        <ConnectionBanner link={link} />
      </header>
      <main class="console-main">
        <div class="map-area">
          <div class="map" ref={mapElement} data-map />
          <button type="button" class="button map-fit" onClick={() => map?.fitEveryone(true)}>
            {t('map.show_everyone')}
          </button>
        </div>
        <aside class="side">
          <CallPanel view={view} calls={calls} />
          <section class="panel" aria-labelledby="patients-title">
            <h2 id="patients-title">{t('console.patients')}</h2>
            {places.length === 0 ? (
              <p class="empty">{t('console.no_patients')}</p>
            ) : (
              <ul class="patients">
                {places.map((place) => (
                  <PatientCard
                    key={place.patientId}
                    place={place}
                    selected={place.patientId === selected}
                    serverNow={serverNow}
                    statuses={adapters.status}
                    busy={busy}
                    onSelect={() => setSelected(place.patientId)}
                    onCall={() => void calls.dial(place.patientId)}
                  />
                ))}
              </ul>
            )}
          </section>
          {selected !== null && <TrailControls range={range} trail={trail} loading={trailState === 'loading'} failed={trailState === 'failed'} onRange={setRange} />}
          {selected !== null && map && <ZonesPanel store={adapters.zones} patientId={selected} map={map} />}
          <AlertsPanel source={adapters.alerts} patients={identity.patients} selected={selected} />
          <CallList source={adapters.calls} onCall={(peer) => void calls.dial(peer)} />
        </aside>
      </main>
    </div>
  );
}
