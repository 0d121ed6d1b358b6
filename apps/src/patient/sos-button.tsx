import { useEffect, useState } from 'preact/hooks';
import type { SosResult, SosSender } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';

type Step = { kind: 'ready' } | { kind: 'confirm' } | { kind: 'sending' } | { kind: 'done'; result: SosResult } | { kind: 'unanswered' };

/**
 * Asking for help: one tap opens a confirmation (so a pocket or a stray tap does not alarm
 * everyone), a second sends it through the SosSender. When nobody takes it, the patient is told
 * to call (the family buttons are right there).
 */
export function SosButton({ sos }: { sos: SosSender }) {
  const t = useT();
  const [step, setStep] = useState<Step>({ kind: 'ready' });
  useEffect(() => sos.onUnanswered(() => setStep({ kind: 'unanswered' })), [sos]);
  const send = () => {
    setStep({ kind: 'sending' });
    sos.send().then(
      (result) => setStep({ kind: 'done', result }),
      () => setStep({ kind: 'done', result: { sent: false, reason: 'failed' } }),
    );
  };
  switch (step.kind) {
    case 'ready':
      return (
        <section class="sos" aria-label={t('sos.title')}>
          <button type="button" class="big button-sos" data-action="sos" onClick={() => setStep({ kind: 'confirm' })}>
            {t('sos.button')}
          </button>
        </section>
      );
    case 'confirm':
      return (
        <section class="sos sos-confirm" role="alertdialog" aria-labelledby="sos-question" data-sos="confirm">
          <p id="sos-question" class="sos-question">
            {t('sos.confirm')}
          </p>
          <div class="big-buttons">
            <button type="button" class="big button-sos" data-action="sos-send" onClick={send}>
              {t('sos.yes')}
            </button>
            <button type="button" class="big button-quiet" data-action="sos-cancel" onClick={() => setStep({ kind: 'ready' })}>
              {t('sos.no')}
            </button>
          </div>
        </section>
      );
    case 'sending':
      return (
        <section class="sos" role="status">
          <p>{t('sos.sending')}</p>
        </section>
      );
    case 'unanswered':
      return (
        <section class="sos sos-unanswered" role="alert" data-sos="unanswered">
          <p>{t('sos.unanswered')}</p>
          <button type="button" class="big button-quiet" onClick={() => setStep({ kind: 'ready' })}>
            {t('call.ok')}
          </button>
        </section>
      );
    case 'done':
      return (
        <section class="sos" role="alert" data-sos={step.result.sent ? 'sent' : step.result.reason}>
          <p>{step.result.sent ? t('sos.sent') : t('sos.failed')}</p>
          <button type="button" class="big button-quiet" onClick={() => setStep({ kind: 'ready' })}>
            {t('call.ok')}
          </button>
        </section>
      );
  }
}
