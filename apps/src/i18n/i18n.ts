import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type MessageKey, en } from './en.ts';
import { ko } from './ko.ts';

export type { MessageKey };
export type Language = 'en' | 'ko';
export type Params = Record<string, string | number>;

export const CATALOGUES: Record<Language, Record<MessageKey, string>> = { en, ko };

/**
 * The first of the browser's languages (`navigator.languages`, most preferred first) that the
 * apps speak, by primary subtag (`ko-KR` is `ko`); English when none is.
 */
export function detectLanguage(languages: readonly string[]): Language {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'ko' || primary === 'en') return primary;
  }
  return 'en';
}

export interface Translator {
  readonly language: Language;
  /** the message, `{name}` placeholders filled from `params` */
  (key: MessageKey, params?: Params): string;
}

/** Marks a message that is missing from a catalogue; the browser tests fail on any on screen. */
export const MISSING = '⟦missing⟧';

/** `report` hears of each missing message (default: the browser's console, which the browser tests read). */
export function translator(
  language: Language,
  catalogue: Partial<Record<MessageKey, string>> = CATALOGUES[language],
  report: (problem: string) => void = (problem) => console.error(problem),
): Translator {
  const t = (key: MessageKey, params: Params = {}): string => {
    const text = catalogue[key];
    if (text === undefined) {
      report(`i18n: no "${key}" in ${language}`);
      return `${MISSING}${key}`;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
  return Object.assign(t, { language });
}

export const I18n = createContext<Translator>(translator('en'));

export function useT(): Translator {
  return useContext(I18n);
}

/** The browser's language, or `?lang=ko` / `?lang=en` when the page asks for one. */
export function pageLanguage(): Language {
  const asked = new URLSearchParams(location.search).get('lang');
  return detectLanguage([...(asked ? [asked] : []), ...navigator.languages]);
}
