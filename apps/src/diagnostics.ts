import type { TetherClient } from '@tether/client';
import type { CallController } from './call/call-controller.ts';
import type { Ringtone } from './call/ringtone.ts';

/**
 * Read-only facts for whoever debugs a page from the browser's console, and for the browser
 * tests (which otherwise go by what the screen shows): `tetherApp.nodeId`, `.connection`,
 * `.call`, `.callPhases` (every call phase shown since the page opened, in order), `.ringing`,
 * `await tetherApp.audioBytesReceived()`.
 */
export interface Diagnostics {
  readonly nodeId: string | null;
  readonly connection: string;
  readonly call: string;
  readonly callPhases: readonly string[];
  readonly ringing: boolean;
  audioBytesReceived(): Promise<number>;
}

export function exposeDiagnostics({ client, calls, ringtone }: { client: TetherClient; calls: CallController; ringtone?: Ringtone }): void {
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
    audioBytesReceived: () => calls.audioBytesReceived(),
  };
  (globalThis as { tetherApp?: Diagnostics }).tetherApp = diagnostics;
}
