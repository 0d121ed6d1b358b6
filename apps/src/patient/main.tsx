import '../../styles/common.css';
import '../../styles/patient.css';
import { boot } from '../boot.tsx';
import { Ringtone } from '../call/ringtone.ts';
import { exposeDiagnostics } from '../diagnostics.ts';
import { PatientApp } from './patient-app.tsx';
import { PatientReporting } from './reporting.ts';

await boot('patient', document.getElementById('app')!, (started) => {
  const { client, calls } = started;
  const ringtone = new Ringtone();
  const reporting = new PatientReporting(client);
  void reporting.start();
  exposeDiagnostics({ client, calls, ringtone, reporting });
  return <PatientApp client={client} identity={started.identity} adapters={started.adapters} calls={calls} ringtone={ringtone} reporting={reporting} />;
});
