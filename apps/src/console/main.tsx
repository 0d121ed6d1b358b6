import 'leaflet/dist/leaflet.css';
import '../../styles/common.css';
import '../../styles/console.css';
import { boot } from '../boot.tsx';
import { CallController } from '../call/call-controller.ts';
import { ServerClock } from '../connection.ts';
import { exposeDiagnostics } from '../diagnostics.ts';
import { ConsoleApp } from './console-app.tsx';
import { PatientTracker } from './patients.ts';

await boot('console', document.getElementById('app')!, (started) => {
  const { client, identity, config } = started;
  const calls = new CallController(client, { ringTimeoutMs: config.ringTimeoutMs, audioHost: document.body, ...(config.rtcConfiguration ? { rtcConfiguration: config.rtcConfiguration as RTCConfiguration } : {}) });
  const clock = new ServerClock(client);
  const tracker = new PatientTracker(client, identity.patients);
  exposeDiagnostics({ client, calls });
  return <ConsoleApp {...started} calls={calls} clock={clock} tracker={tracker} />;
});
