import { type ComponentChildren, render } from 'preact';
import type { TetherClient } from '@tether/client';
import { careAdapters } from './adapters/adapters.ts';
import type { CareAdapters } from './adapters/care.ts';
import { CallController } from './call/call-controller.ts';
import { ServerClock } from './connection.ts';
import { type AppConfig, loadConfig } from './config.ts';
import { I18n, type Translator, pageLanguage, translator } from './i18n/i18n.ts';
import type { AppName, Identity } from './identity.ts';
import { signIn } from './tether.ts';
import { People, PeopleContext } from './ui/people.ts';

export interface Started {
  config: AppConfig;
  t: Translator;
  people: People;
  client: TetherClient;
  identity: Identity;
  adapters: CareAdapters;
  /** the server's clock as seen from here */
  clock: ServerClock;
  /** the page's one call (server-side calls through the SDK) */
  calls: CallController;
}

/**
 * Starts an app: language, config.json, the people directory, the token and the connection.
 * `view` builds the app's tree once all that is ready; a failure on the way is shown in plain
 * words (and logged to the console for whoever debugs it).
 */
export async function boot(app: AppName, root: HTMLElement, view: (started: Started) => ComponentChildren): Promise<Started | null> {
  const t = translator(pageLanguage());
  document.documentElement.lang = t.language;
  document.title = t(app === 'console' ? 'console.title' : 'patient.title');
  let stage: 'config' | 'sign_in' = 'config';
  try {
    const config = await loadConfig();
    stage = 'sign_in';
    const [people, { client, identity }] = await Promise.all([People.load(config.peopleUrl).catch(() => new People()), signIn(config, app)]);
    const clock = new ServerClock(client);
    const calls = new CallController(client, { audioHost: document.body, ...(config.rtcConfiguration ? { rtcConfiguration: config.rtcConfiguration as RTCConfiguration } : {}) });
    const started: Started = { config, t, people, client, identity, clock, calls, adapters: careAdapters(client, calls, clock) };
    render(
      <I18n.Provider value={t}>
        <PeopleContext.Provider value={people}>{view(started)}</PeopleContext.Provider>
      </I18n.Provider>,
      root,
    );
    return started;
  } catch (error) {
    console.error(`${app}: could not start:`, error);
    render(
      <main class="failed">
        <div role="alert">
          <h1>{t(`boot.failed_${stage}`)}</h1>
          <p>{t('boot.try_again')}</p>
        </div>
        <button type="button" class="button button-primary" onClick={() => location.reload()}>
          {t('boot.reload')}
        </button>
      </main>,
      root,
    );
    return null;
  }
}
