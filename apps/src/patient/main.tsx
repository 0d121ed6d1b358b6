import '../../styles/common.css';
import '../../styles/patient.css';
import { boot } from '../boot.tsx';
import { Ringtone } from '../call/ringtone.ts';
import { exposeDiagnostics } from '../diagnostics.ts';
import { PatientApp } from './patient-app.tsx';

await boot('patient', document.getElementById('app')!, (started) => {
  const { client, calls } = started;
  const ringtone = new Ringtone();
  exposeDiagnostics({ client, calls, ringtone });
  return <PatientApp client={client} identity={started.identity} adapters={started.adapters} calls={calls} ringtone={ringtone} />;
});
