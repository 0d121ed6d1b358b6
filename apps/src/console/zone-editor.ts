import L from 'leaflet';
import type { LatLng, ZoneShape } from '../adapters/care.ts';
import type { Translator } from '../i18n/i18n.ts';
import { distanceM } from './trail.ts';

/** radius of a new circle zone, metres */
export const NEW_CIRCLE_RADIUS_M = 150;
/** the server takes circles of 50 m to 50 km (docs/protocol.md 16.2) */
export const MIN_RADIUS_M = 50;
export const MAX_RADIUS_M = 5_000;

/**
 * Drawing and editing one zone shape on the map, with handles a finger or a mouse can drag:
 * - circle: a centre handle moves it, an edge handle sets the radius (also settable by number);
 * - polygon: each tap on the map adds a corner; corner handles move them.
 * `onChange` gets the shape after every change (null while a polygon has fewer than 3 corners).
 * Saving, naming and listing are the zones panel's.
 */
export class ZoneEditor {
  private shape: ZoneShape | null = null;
  private readonly layer = L.layerGroup();
  private readonly onMapClick = (event: L.LeafletMouseEvent) => this.addCorner({ lat: event.latlng.lat, lng: event.latlng.lng });

  constructor(
    private readonly map: L.Map,
    private readonly t: Translator,
    private readonly onChange: (shape: ZoneShape | null) => void,
  ) {
    this.layer.addTo(map);
  }

  /** A new circle at `center`. */
  startCircle(center: LatLng): void {
    this.edit({ kind: 'circle', center, radiusM: NEW_CIRCLE_RADIUS_M });
  }

  /** A new polygon: taps on the map add its corners. */
  startPolygon(): void {
    this.edit({ kind: 'polygon', points: [] });
  }

  /** Edits an existing shape (a copy: nothing is saved until the panel saves it). */
  edit(shape: ZoneShape): void {
    this.stop();
    this.shape = shape.kind === 'circle' ? { ...shape, center: { ...shape.center } } : { kind: 'polygon', points: shape.points.map((p) => ({ ...p })) };
    if (shape.kind === 'polygon') this.map.on('click', this.onMapClick);
    this.map.getContainer().classList.toggle('drawing', shape.kind === 'polygon');
    this.draw();
  }

  setRadius(radiusM: number): void {
    if (this.shape?.kind !== 'circle') return;
    this.shape = { ...this.shape, radiusM: clampRadius(radiusM) };
    this.draw();
  }

  /** Removes the last corner of a polygon. */
  undoCorner(): void {
    if (this.shape?.kind !== 'polygon') return;
    this.shape = { kind: 'polygon', points: this.shape.points.slice(0, -1) };
    this.draw();
  }

  /** Stops editing and clears the handles. */
  stop(): void {
    this.map.off('click', this.onMapClick);
    this.map.getContainer().classList.remove('drawing');
    this.layer.clearLayers();
    this.shape = null;
  }

  private addCorner(point: LatLng): void {
    if (this.shape?.kind !== 'polygon') return;
    this.shape = { kind: 'polygon', points: [...this.shape.points, point] };
    this.draw();
  }

  private draw(): void {
    this.layer.clearLayers();
    const shape = this.shape;
    if (!shape) return;
    if (shape.kind === 'circle') {
      const { center, radiusM } = shape;
      L.circle([center.lat, center.lng], { radius: radiusM, className: 'zone zone-editing', interactive: false }).addTo(this.layer);
      this.handle(center, this.t('zones.handle_move'), (to) => {
        this.shape = { kind: 'circle', center: to, radiusM };
        this.draw();
      });
      this.handle(edgeOf(center, radiusM), this.t('zones.handle_radius'), (to) => this.setRadius(distanceM(center, to)));
    } else {
      const latLngs = shape.points.map((p) => [p.lat, p.lng] as L.LatLngTuple);
      if (latLngs.length >= 3) L.polygon(latLngs, { className: 'zone zone-editing', interactive: false }).addTo(this.layer);
      else if (latLngs.length === 2) L.polyline(latLngs, { className: 'zone zone-editing', interactive: false }).addTo(this.layer);
      shape.points.forEach((point, i) =>
        this.handle(point, this.t('zones.handle_corner', { n: i + 1 }), (to) => {
          if (this.shape?.kind !== 'polygon') return;
          this.shape = { kind: 'polygon', points: this.shape.points.map((p, j) => (j === i ? to : p)) };
          this.draw();
        }),
      );
    }
    this.onChange(shape.kind === 'polygon' && shape.points.length < 3 ? null : shape);
  }

  private handle(at: LatLng, title: string, moved: (to: LatLng) => void): void {
    const icon = L.divIcon({ className: 'zone-handle', iconSize: [28, 28], iconAnchor: [14, 14] });
    L.marker([at.lat, at.lng], { icon, draggable: true, title, keyboard: true, autoPan: true })
      .on('dragend', (event) => {
        const to = (event.target as L.Marker).getLatLng();
        moved({ lat: to.lat, lng: to.lng });
      })
      .addTo(this.layer);
  }
}

export function clampRadius(radiusM: number): number {
  return Math.round(Math.min(MAX_RADIUS_M, Math.max(MIN_RADIUS_M, radiusM)));
}

/** The point `radiusM` east of `center`, where the radius handle sits. */
function edgeOf(center: LatLng, radiusM: number): LatLng {
  const dLng = radiusM / (111_320 * Math.cos((center.lat * Math.PI) / 180));
  return { lat: center.lat, lng: center.lng + dLng };
}
