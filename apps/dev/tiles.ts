import { encodePng } from './png.ts';

/**
 * Map tiles drawn here, for machines without internet (the browser tests, an offline demo):
 * a street grid with blocks of park, water and buildings, continuous across tiles and zooms
 * (everything is placed in world metres, not in tile pixels). Not a real place: the map the
 * apps show with these tiles says "generated tiles" in its attribution.
 */

const SIZE = 256;
const EARTH = 40_075_016.686;
/** metres between two streets */
const BLOCK_M = 120;
const STREET_M = 14;
const COLOURS = {
  street: [255, 255, 255],
  building: [232, 226, 214],
  park: [205, 235, 197],
  water: [190, 218, 240],
  plain: [242, 239, 233],
} as const;

/** The PNG of tile z/x/y (Web Mercator, as Leaflet and OpenStreetMap number them). */
export function tilePng(z: number, x: number, y: number): Buffer {
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  const metresPerPixel = EARTH / (SIZE * 2 ** z);
  for (let py = 0; py < SIZE; py++) {
    // metres from the west edge / the top edge of the world; good enough at city scale
    const my = (y * SIZE + py) * metresPerPixel;
    for (let px = 0; px < SIZE; px++) {
      const mx = (x * SIZE + px) * metresPerPixel;
      const colour = colourAt(mx, my, metresPerPixel);
      rgb.set(colour, (py * SIZE + px) * 3);
    }
  }
  return encodePng(SIZE, SIZE, rgb);
}

function colourAt(mx: number, my: number, metresPerPixel: number): readonly number[] {
  const street = Math.max(STREET_M, metresPerPixel * 1.5);
  const inX = mx % BLOCK_M;
  const inY = my % BLOCK_M;
  if (metresPerPixel < BLOCK_M / 3 && (inX < street || inY < street)) return COLOURS.street;
  const block = hash(Math.floor(mx / BLOCK_M), Math.floor(my / BLOCK_M));
  if (block < 0.08) return COLOURS.water;
  if (block < 0.22) return COLOURS.park;
  if (block < 0.7) return COLOURS.building;
  return COLOURS.plain;
}

/** A stable number in [0, 1) for a block. */
function hash(a: number, b: number): number {
  let h = (Math.imul(a, 0x27d4eb2d) ^ Math.imul(b, 0x165667b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
