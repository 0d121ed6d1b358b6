import L from 'leaflet';
import type { LocationFix } from '@tether/client';
import type { LatLng, Zone } from '../adapters/care.ts';
import type { AppConfig } from '../config.ts';
import type { Translator } from '../i18n/i18n.ts';
import { type TrailPoint, arrowsAlong } from './trail.ts';

/** pixels between two direction arrows on the trail, whatever the zoom */
const ARROW_SPACING_PX = 70;
/** zoom used when the map is centred on one patient, unless already closer */
const FOCUS_ZOOM = 16;

interface PatientLayers {
  marker: L.Marker;
  accuracy: L.Circle;
}

/**
 * The console's Leaflet map: one marker (with the name) and accuracy circle per patient, the
 * selected patient's trail with direction arrows, and the safe zones. It never moves the view by
 * itself after the first fit: a caregiver who zoomed in keeps the view when fixes arrive.
 */
export class PatientMap {
  readonly map: L.Map;
  private readonly patients = new Map<string, PatientLayers>();
  private readonly trailLayer = L.layerGroup();
  private readonly zoneLayer = L.layerGroup();
  private trail: readonly TrailPoint[] = [];
  private fitted = false;

  constructor(
    container: HTMLElement,
    config: AppConfig,
    private readonly t: Translator,
    private readonly onSelect: (patientId: string) => void,
  ) {
    this.map = L.map(container, { zoomControl: true, attributionControl: true }).setView([config.mapStart.lat, config.mapStart.lng], config.mapStart.zoom);
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: config.tiles.maxZoom }).addTo(this.map);
    this.zoneLayer.addTo(this.map);
    this.trailLayer.addTo(this.map);
    this.map.on('zoomend', () => this.drawTrail());
    container.setAttribute('aria-label', t('map.label'));
  }

  /** Places or moves a patient's marker; the view does not move. */
  setPatient(patientId: string, name: string, fix: LocationFix, selected: boolean): void {
    const at: L.LatLngExpression = [fix.position.lat, fix.position.lng];
    const icon = L.divIcon({
      className: `pin${selected ? ' pin-selected' : ''}`,
      html: `<span class="pin-dot"></span><span class="pin-name"></span>`,
      iconSize: undefined,
      iconAnchor: [9, 9],
    });
    let layers = this.patients.get(patientId);
    if (!layers) {
      const marker = L.marker(at, { icon, keyboard: true, title: this.t('map.patient_marker', { name }) }).on('click', () => this.onSelect(patientId));
      const accuracy = L.circle(at, { radius: fix.position.accuracy, interactive: false, className: 'accuracy' });
      layers = { marker, accuracy };
      this.patients.set(patientId, layers);
      accuracy.addTo(this.map);
      marker.addTo(this.map);
    } else {
      layers.marker.setLatLng(at).setIcon(icon);
      layers.accuracy.setLatLng(at).setRadius(fix.position.accuracy);
    }
    const element = layers.marker.getElement();
    element?.querySelector('.pin-name')?.replaceChildren(name);
    element?.setAttribute('data-patient', patientId);
  }

  /** Fits every known patient in view, once by itself (the first time any is known), then on request. */
  fitEveryone(force = false): void {
    if (this.fitted && !force) return;
    const points = [...this.patients.values()].map((p) => p.marker.getLatLng());
    if (points.length === 0) return;
    this.fitted = true;
    if (points.length === 1) this.map.setView(points[0]!, Math.max(this.map.getZoom(), FOCUS_ZOOM));
    else this.map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 17 });
  }

  focus(patientId: string): void {
    const layers = this.patients.get(patientId);
    if (layers) this.map.setView(layers.marker.getLatLng(), Math.max(this.map.getZoom(), FOCUS_ZOOM));
  }

  /** The selected patient's trail, oldest first; empty hides it. */
  setTrail(trail: readonly TrailPoint[]): void {
    this.trail = trail;
    this.drawTrail();
  }

  /** Draws the zones; the one being edited is left to the editor. */
  setZones(zones: readonly Zone[], editingId: string | null): void {
    this.zoneLayer.clearLayers();
    for (const zone of zones) {
      if (zone.id === editingId) continue;
      const style = { className: zone.alertOn.includes('exit') ? 'zone' : 'zone zone-enter', interactive: false };
      const layer =
        zone.shape.kind === 'circle'
          ? L.circle([zone.shape.center.lat, zone.shape.center.lng], { ...style, radius: zone.shape.radiusM })
          : L.polygon(zone.shape.points.map((p) => [p.lat, p.lng] as L.LatLngTuple), style);
      layer.bindTooltip(zone.name, { permanent: false });
      this.zoneLayer.addLayer(layer);
    }
  }

  /** The map's centre, where a new zone starts. */
  center(): LatLng {
    const c = this.map.getCenter();
    return { lat: c.lat, lng: c.lng };
  }

  invalidateSize(): void {
    this.map.invalidateSize();
  }

  remove(): void {
    this.map.remove();
  }

  private drawTrail(): void {
    this.trailLayer.clearLayers();
    if (this.trail.length === 0) return;
    const points = this.trail.map((p) => [p.lat, p.lng] as L.LatLngTuple);
    L.polyline(points, { className: 'trail', interactive: false }).addTo(this.trailLayer);
    L.circleMarker(points[0]!, { radius: 6, className: 'trail-start', interactive: false }).addTo(this.trailLayer);
    const center = this.map.getCenter();
    const metresPerPixel = (40_075_016.686 * Math.cos((center.lat * Math.PI) / 180)) / 2 ** (this.map.getZoom() + 8);
    for (const arrow of arrowsAlong(this.trail, ARROW_SPACING_PX * metresPerPixel)) {
      const icon = L.divIcon({ className: 'trail-arrow', html: `<span style="transform: rotate(${Math.round(arrow.bearing)}deg)">▲</span>`, iconSize: [16, 16], iconAnchor: [8, 8] });
      L.marker([arrow.lat, arrow.lng], { icon, interactive: false, keyboard: false }).addTo(this.trailLayer);
    }
  }
}
