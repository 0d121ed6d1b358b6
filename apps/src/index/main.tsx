import { render } from 'preact';
import '../../styles/common.css';
import { pageLanguage, translator } from '../i18n/i18n.ts';

/** The landing page of a deployment: which app is which. */
const t = translator(pageLanguage());
document.documentElement.lang = t.language;
document.title = t('index.title');
render(
  <main class="index">
    <h1>{t('index.title')}</h1>
    <ul>
      <li>
        <a class="button button-primary" href={`console.html${location.search}`}>
          {t('console.title')}
        </a>
        <p>{t('index.console')}</p>
      </li>
      <li>
        <a class="button button-primary" href={`patient.html${location.search}`}>
          {t('patient.title')}
        </a>
        <p>{t('index.patient')}</p>
      </li>
    </ul>
  </main>,
  document.getElementById('app')!,
);
