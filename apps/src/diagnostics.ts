import type { TetherClient } from '@tether/client';
import type { CallController } from './call/call-controller.ts';
import type { Ringtone } from './call/ringtone.ts';
import type { PatientReporting, ReportingView } from './patient/reporting.ts';

/**
 * Read-only facts for whoever debugs a page from the browser's console, and for the browser
 * tests (which otherwise go by what the screen shows): `tetherApp.nodeId`, `.connection`,
 * `.call`, `.callPhases` (every call phase shown since the page opened, in order), `.ringing`,
 * `await tetherApp.audioBytesReceived()`; on the patient's page, `.reporting` (what it reports:
 * location permission, the interval the server asks for, positions and heartbeats so far).
 */
export interface Diagnostics {
  readonly nodeId: string | null;
  readonly connection: string;
  readonly call: string;
  readonly callPhases: readonly string[];
  readonly ringing: boolean;
  readonly reporting: ReportingView | null;
  audioBytesReceived(): Promise<number>;
}

export function exposeDiagnostics({ client, calls, ringtone, reporting }: { client: TetherClient; calls: CallController; ringtone?: Ringtone; reporting?: PatientReporting }): void {
  const phases: string[] = [];
  calls.subscribe(() => {
    if (phases.at(-1) !== calls.view.phase) phases.push(calls.view.phase);
    if (phases.length > 200) phases.shift();
  });
  const diagnostics: Diagnostics = {
    get nodeId() {
      return client.welcome?.nodeId ?? null;
    },
    get connection() {
      return client.state;
    },
    get call() {
      return calls.view.phase;
    },
    get callPhases() {
      return [...phases];
    },
    get ringing() {
      return ringtone?.ringing ?? false;
    },
    get reporting() {
      return reporting ? { ...reporting.view } : null;
    },
    audioBytesReceived: () => calls.audioBytesReceived(),
  };
  (globalThis as { tetherApp?: Diagnostics }).tetherApp = diagnostics;
}
