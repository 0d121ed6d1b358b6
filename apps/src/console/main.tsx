import 'leaflet/dist/leaflet.css';
import '../../styles/common.css';
import '../../styles/console.css';
import { boot } from '../boot.tsx';
import { CallController } from '../call/call-controller.ts';
import { exposeDiagnostics } from '../diagnostics.ts';
import { ConsoleApp } from './console-app.tsx';
import { PatientTracker } from './patients.ts';

await boot('console', document.getElementById('app')!, (started) => {
  const { client, identity, config } = started;
  const calls = new CallController(started.server, { audioHost: document.body, ...(config.rtcConfiguration ? { rtcConfiguration: config.rtcConfiguration as RTCConfiguration } : {}) });
  const tracker = new PatientTracker(client, identity.patients);
  exposeDiagnostics({ client, calls });
  return <ConsoleApp {...started} calls={calls} tracker={tracker} />;
});
