import { z } from 'zod';

/** A device's position fix as a patient's app reports it. Units: degrees, metres, m/s, percent, ms. */
export const Position = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  /** horizontal accuracy radius, metres */
  accuracy: z.number().min(0).max(100_000),
  /** degrees clockwise from true north */
  heading: z.number().min(0).lt(360).optional(),
  /** metres per second */
  speed: z.number().min(0).max(1_000).optional(),
  /** battery level, percent */
  battery: z.number().min(0).max(100).optional(),
  /** when the device took the fix, ms since the Unix epoch */
  timestamp: z.number().int().positive(),
});
export type Position = z.infer<typeof Position>;
