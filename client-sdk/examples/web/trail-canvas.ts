/**
 * Draws a patient's trail and current position on a <canvas>, without map tiles: positions are
 * projected equirectangularly (longitude scaled by the cosine of the latitude, so a metre is a
 * metre both ways) and fitted to the canvas, over a grid whose spacing is printed in metres.
 */

export interface TrailPoint {
  lat: number;
  lng: number;
  /** metres */
  accuracy: number;
  /** device time, ms */
  timestamp: number;
}

const METRES_PER_DEGREE = 111_320;
/** smallest area shown, metres, so a patient standing still is not one zoomed-in pixel */
const MIN_SPAN_M = 150;

export class TrailCanvas {
  private readonly canvas: HTMLCanvasElement;
  private readonly limit: number;
  private points: TrailPoint[] = [];
  /** how the newest point is labelled: 'live', 'last known', 'stale' */
  status = 'waiting for a position';

  constructor(canvas: HTMLCanvasElement, limit = 500) {
    this.canvas = canvas;
    this.limit = limit;
  }

  get size(): number {
    return this.points.length;
  }

  get newest(): TrailPoint | null {
    return this.points.at(-1) ?? null;
  }

  /** Adds a position (a repeat of a known timestamp is ignored), keeping the newest `limit`. */
  add(point: TrailPoint): boolean {
    if (this.points.some((p) => p.timestamp === point.timestamp)) return false;
    this.points.push(point);
    this.points.sort((a, b) => a.timestamp - b.timestamp);
    if (this.points.length > this.limit) this.points.splice(0, this.points.length - this.limit);
    return true;
  }

  draw(): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    const newest = this.newest;
    if (!newest) return this.caption(ctx, this.status);
    const project = this.projection(width, height);
    this.grid(ctx, project.metresPerPixel);
    ctx.strokeStyle = '#3b6ea8';
    ctx.lineWidth = 2;
    ctx.beginPath();
    this.points.forEach((p, i) => {
      const [x, y] = project.xy(p);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = '#3b6ea8';
    for (const p of this.points.slice(0, -1)) {
      const [x, y] = project.xy(p);
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    const [x, y] = project.xy(newest);
    ctx.fillStyle = this.status === 'stale' ? 'rgba(160, 160, 160, 0.25)' : 'rgba(220, 60, 40, 0.2)';
    ctx.beginPath();
    ctx.arc(x, y, Math.max(4, newest.accuracy / project.metresPerPixel), 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = this.status === 'stale' ? '#888' : '#d23c28';
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fill();
    this.caption(ctx, `${this.status}, ${new Date(newest.timestamp).toLocaleTimeString()}, ±${Math.round(newest.accuracy)} m, ${this.points.length} points`);
  }

  /** Fits every point (with a margin) into the canvas, the same scale both ways. */
  private projection(width: number, height: number): { xy(p: TrailPoint): [number, number]; metresPerPixel: number } {
    const lats = this.points.map((p) => p.lat);
    const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
    const lngScale = Math.cos((midLat * Math.PI) / 180);
    const toMetres = (p: TrailPoint): [number, number] => [p.lng * lngScale * METRES_PER_DEGREE, p.lat * METRES_PER_DEGREE];
    const xs = this.points.map((p) => toMetres(p)[0]);
    const ys = this.points.map((p) => toMetres(p)[1]);
    const spanX = Math.max(MIN_SPAN_M, Math.max(...xs) - Math.min(...xs));
    const spanY = Math.max(MIN_SPAN_M, Math.max(...ys) - Math.min(...ys));
    const margin = 30;
    const metresPerPixel = Math.max(spanX / (width - 2 * margin), spanY / (height - 2 * margin));
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    return {
      metresPerPixel,
      xy: (p) => {
        const [mx, my] = toMetres(p);
        return [width / 2 + (mx - cx) / metresPerPixel, height / 2 - (my - cy) / metresPerPixel];
      },
    };
  }

  /** Grid lines at a round number of metres, about 80 px apart. */
  private grid(ctx: CanvasRenderingContext2D, metresPerPixel: number): void {
    const raw = metresPerPixel * 80;
    const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000].find((s) => s >= raw) ?? 10_000;
    const px = step / metresPerPixel;
    const { width, height } = this.canvas;
    ctx.strokeStyle = '#e2e2da';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = (width / 2) % px; x < width; x += px) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, height);
    }
    for (let y = (height / 2) % px; y < height; y += px) {
      ctx.moveTo(0, y);
      ctx.lineTo(width, y);
    }
    ctx.stroke();
    ctx.fillStyle = '#777';
    ctx.font = '11px sans-serif';
    ctx.fillText(`grid ${step} m`, 8, height - 8);
  }

  private caption(ctx: CanvasRenderingContext2D, text: string): void {
    ctx.fillStyle = '#333';
    ctx.font = '13px sans-serif';
    ctx.fillText(text, 8, 18);
  }
}
