import { useEffect, useState } from 'preact/hooks';
import type { Zone, ZoneShape, ZonesStore } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';
import type { PatientMap } from './patient-map.ts';
import { MAX_RADIUS_M, MIN_RADIUS_M, ZoneEditor, clampRadius } from './zone-editor.ts';

type Editing = { zoneId: string | null; name: string; shape: ZoneShape | null };

/**
 * The selected patient's safe zones: the list, and drawing or editing one on the map through a
 * ZoneEditor. Saved through the ZonesStore (phase 1: kept in this page; the note says so).
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
  const save = () => {
    if (!editing?.shape) return;
    const name = editing.name.trim() || t('zones.default_name', { n: zones.length + 1 });
    const saved = editing.zoneId === null ? store.create({ patientId, name, shape: editing.shape }) : store.update({ id: editing.zoneId, patientId, name, shape: editing.shape });
    saved.then(close, () => setFailed(true));
  };
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
                  <button type="button" class="button" onClick={() => begin({ zoneId: zone.id, name: zone.name, shape: zone.shape }, (e) => e.edit(zone.shape))}>
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
            <button type="button" class="button" data-action="add-circle" onClick={() => begin({ zoneId: null, name: '', shape: null }, (e) => e.startCircle(map.center()))}>
              {t('zones.add_circle')}
            </button>
            <button type="button" class="button" data-action="add-polygon" onClick={() => begin({ zoneId: null, name: '', shape: null }, (e) => e.startPolygon())}>
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
          <div class="row">
            <button type="submit" class="button button-primary" disabled={!editing.shape}>
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
