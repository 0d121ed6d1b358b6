import { useEffect, useState } from 'preact/hooks';
import type { Zone, ZoneShape, ZonesStore } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';
import type { PatientMap } from './patient-map.ts';
import { MAX_RADIUS_M, MIN_RADIUS_M, ZoneEditor, clampRadius } from './zone-editor.ts';
import { type AlertChoice, NEW_RULES, type WatchChoice, type ZoneRules, browserTimezone, describeRules, rulesOf, zoneRulesOut } from './zone-rules.ts';

type Editing = { zoneId: string | null; name: string; shape: ZoneShape | null; rules: ZoneRules };

/**
 * The selected patient's zones: the list (shape, what each alerts on, when it is watched), and
 * drawing or editing one on the map through a ZoneEditor, with its rules (zone-rules.ts). Saved
 * through the ZonesStore, on the server.
 */
export function ZonesPanel({ store, patientId, map }: { store: ZonesStore; patientId: string; map: PatientMap }) {
  const t = useT();
  const [zones, setZones] = useState<readonly Zone[]>([]);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [editor, setEditor] = useState<ZoneEditor | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => store.watch(patientId, setZones), [store, patientId]);
  useEffect(() => {
    const made = new ZoneEditor(map.map, t, (shape) => setEditing((e) => (e ? { ...e, shape } : e)));
    setEditor(made);
    return () => made.stop();
  }, [map, t]);
  useEffect(() => map.setZones(zones, editing?.zoneId ?? null), [map, zones, editing?.zoneId]);
  useEffect(() => {
    editor?.stop();
    setEditing(null);
  }, [patientId]);

  const begin = (next: Editing, start: (e: ZoneEditor) => void) => {
    if (!editor) return;
    setFailed(false);
    setEditing(next);
    start(editor);
  };
  const close = () => {
    editor?.stop();
    setEditing(null);
  };
  const rulesOut = editing ? zoneRulesOut(editing.rules, browserTimezone()) : null;
  const save = () => {
    if (!editing?.shape || !rulesOut) return;
    const name = editing.name.trim() || t('zones.default_name', { n: zones.length + 1 });
    const draft = { patientId, name, shape: editing.shape, ...rulesOut };
    const saved = editing.zoneId === null ? store.create(draft) : store.update({ id: editing.zoneId, ...draft });
    saved.then(close, () => setFailed(true));
  };
  const setRules = (change: Partial<ZoneRules>) => setEditing((e) => (e ? { ...e, rules: { ...e.rules, ...change } } : e));
  const remove = (zone: Zone) => {
    store.delete(patientId, zone.id).then(
      () => editing?.zoneId === zone.id && close(),
      () => setFailed(true),
    );
  };

  return (
    <section class="panel" aria-labelledby="zones-title">
      <h2 id="zones-title">{t('zones.title')}</h2>
      {editing === null ? (
        <>
          {zones.length === 0 ? (
            <p class="empty">{t('zones.none')}</p>
          ) : (
            <ul class="zones">
              {zones.map((zone) => (
                <li key={zone.id} data-zone={zone.id}>
                  <span class="zone-name">{zone.name}</span>
                  <span class="zone-kind">{zone.shape.kind === 'circle' ? t('zones.circle_size', { m: zone.shape.radiusM }) : t('zones.polygon_size', { n: zone.shape.points.length })}</span>
                  <span class="zone-rules" data-zone-rules>
                    {describeRules(t, zone)}
                  </span>
                  <button type="button" class="button" onClick={() => begin({ zoneId: zone.id, name: zone.name, shape: zone.shape, rules: rulesOf(zone) }, (e) => e.edit(zone.shape))}>
                    {t('zones.edit', { name: zone.name })}
                  </button>
                  <button type="button" class="button button-quiet" onClick={() => remove(zone)}>
                    {t('zones.delete', { name: zone.name })}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div class="row">
            <button type="button" class="button" data-action="add-circle" onClick={() => begin({ zoneId: null, name: '', shape: null, rules: NEW_RULES }, (e) => e.startCircle(map.center()))}>
              {t('zones.add_circle')}
            </button>
            <button type="button" class="button" data-action="add-polygon" onClick={() => begin({ zoneId: null, name: '', shape: null, rules: NEW_RULES }, (e) => e.startPolygon())}>
              {t('zones.add_polygon')}
            </button>
          </div>
        </>
      ) : (
        <form
          class="zone-form"
          onSubmit={(event) => {
            event.preventDefault();
            save();
          }}
        >
          <p class="hint">{editing.shape?.kind === 'circle' ? t('zones.hint_circle') : t('zones.hint_polygon')}</p>
          <label>
            {t('zones.name')}
            <input type="text" value={editing.name} maxLength={60} onInput={(e) => setEditing({ ...editing, name: e.currentTarget.value })} />
          </label>
          {editing.shape?.kind === 'circle' && (
            <label>
              {t('zones.radius')}
              <input
                type="number"
                min={MIN_RADIUS_M}
                max={MAX_RADIUS_M}
                step={10}
                value={editing.shape.radiusM}
                onChange={(e) => editor?.setRadius(clampRadius(Number(e.currentTarget.value)))}
              />
            </label>
          )}
          {editing.shape?.kind !== 'circle' && (
            <button type="button" class="button button-quiet" onClick={() => editor?.undoCorner()}>
              {t('zones.undo_corner')}
            </button>
          )}
          <ZoneRulesFields rules={editing.rules} onChange={setRules} />
          {rulesOut === null && (
            <p class="error" role="alert" data-zone-problem>
              {t('zones.same_time')}
            </p>
          )}
          <div class="row">
            <button type="submit" class="button button-primary" disabled={!editing.shape || !rulesOut}>
              {t('zones.save')}
            </button>
            <button type="button" class="button button-quiet" onClick={close}>
              {t('zones.cancel')}
            </button>
          </div>
        </form>
      )}
      {failed && (
        <p class="error" role="alert">
          {t('zones.failed')}
        </p>
      )}
    </section>
  );
}

const ALERT_CHOICES: readonly AlertChoice[] = ['exit', 'enter', 'both'];

/** What the zone alerts on, and when it is watched: radio groups and two times, each labelled. */
function ZoneRulesFields({ rules, onChange }: { rules: ZoneRules; onChange: (change: Partial<ZoneRules>) => void }) {
  const t = useT();
  const watches: readonly WatchChoice[] = rules.kept !== null && rulesOf({ schedule: rules.kept, alertOn: ['exit'] }).watch === 'kept' ? ['always', 'daily', 'kept'] : ['always', 'daily'];
  return (
    <>
      <fieldset class="choices" data-alert-on={rules.alertOn}>
        <legend>{t('zones.alert_on')}</legend>
        {ALERT_CHOICES.map((choice) => (
          <label key={choice} class="choice">
            <input type="radio" name="zone-alert-on" value={choice} checked={rules.alertOn === choice} onChange={() => onChange({ alertOn: choice })} />
            {t(`zones.alert_on_${choice}`)}
          </label>
        ))}
      </fieldset>
      <fieldset class="choices" data-watch={rules.watch}>
        <legend>{t('zones.watch')}</legend>
        {watches.map((choice) => (
          <label key={choice} class="choice">
            <input type="radio" name="zone-watch" value={choice} checked={rules.watch === choice} onChange={() => onChange({ watch: choice })} />
            {t(`zones.watch_${choice}`)}
          </label>
        ))}
        {rules.watch === 'daily' && (
          <div class="row times">
            <label>
              {t('zones.from')}
              <input type="time" required value={rules.start} data-time="start" onInput={(e) => onChange({ start: e.currentTarget.value })} />
            </label>
            <label>
              {t('zones.to')}
              <input type="time" required value={rules.end} data-time="end" onInput={(e) => onChange({ end: e.currentTarget.value })} />
            </label>
          </div>
        )}
      </fieldset>
    </>
  );
}
