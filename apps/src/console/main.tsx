import 'leaflet/dist/leaflet.css';
import '../../styles/common.css';
import '../../styles/console.css';
import { boot } from '../boot.tsx';
import { exposeDiagnostics } from '../diagnostics.ts';
import { ConsoleApp } from './console-app.tsx';
import { PatientTracker } from './patients.ts';

await boot('console', document.getElementById('app')!, (started) => {
  const { client, identity, calls } = started;
  const tracker = new PatientTracker(client, identity.patients);
  exposeDiagnostics({ client, calls });
  return <ConsoleApp {...started} tracker={tracker} />;
});
