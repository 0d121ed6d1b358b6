import 'leaflet/dist/leaflet.css';
import '../../styles/common.css';
import '../../styles/console.css';
import { boot } from '../boot.tsx';
import { Ringtone } from '../call/ringtone.ts';
import { exposeDiagnostics } from '../diagnostics.ts';
import { ConsoleApp } from './console-app.tsx';
import { PatientTracker } from './patients.ts';

await boot('console', document.getElementById('app')!, (started) => {
  const { client, identity, calls } = started;
  const tracker = new PatientTracker(client, identity.patients);
  const ringtone = new Ringtone();
  exposeDiagnostics({ client, calls, ringtone });
  return <ConsoleApp {...started} tracker={tracker} ringtone={ringtone} />;
});
