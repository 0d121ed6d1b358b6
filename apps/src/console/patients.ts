import type { LocationFix, LocationWatch, TetherClient } from '@tether/client';

/** What the console knows of one patient's position. */
export interface PatientPlace {
  patientId: string;
  /** the newest fix, or null before any is known */
  fix: LocationFix | null;
  /** the watch was refused (e.g. FORBIDDEN: the token no longer grants the patient) */
  refused: string | null;
}

/**
 * Follows the positions of every patient the token grants: one `watchLocation` each (the SDK
 * re-subscribes after reconnects and catches up to the newest fix). Listeners get every fix.
 */
export class PatientTracker {
  readonly places = new Map<string, PatientPlace>();
  private readonly watches: LocationWatch[] = [];
  private readonly listeners = new Set<(place: PatientPlace) => void>();

  constructor(
    private readonly client: TetherClient,
    patientIds: readonly string[],
  ) {
    for (const patientId of patientIds) {
      this.places.set(patientId, { patientId, fix: null, refused: null });
      client.watchLocation(patientId, (fix) => this.set({ patientId, fix, refused: null })).then(
        (watch) => this.watches.push(watch),
        (error: unknown) => this.set({ patientId, fix: null, refused: (error as { code?: string }).code ?? 'ERROR' }),
      );
    }
  }

  onFix(listener: (place: PatientPlace) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    for (const watch of this.watches) void watch.stop();
  }

  private set(place: PatientPlace): void {
    this.places.set(place.patientId, place);
    for (const listener of this.listeners) listener(place);
  }
}
