/**
 * Every message in every language: same keys as English, nothing empty, the same
 * `{placeholders}` (a translation that drops `{name}` would show a sentence about nobody). The
 * browser tests also fail on any message missing on screen (apps-pages.ts `untranslated`).
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUES, detectLanguage, translator } from '../src/i18n/i18n.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const english = CATALOGUES.en;

describe('translations', () => {
  it.each(Object.keys(CATALOGUES).filter((l) => l !== 'en'))('%s has every English key, no other, none empty, with the same placeholders', (language) => {
    const catalogue = CATALOGUES[language as keyof typeof CATALOGUES] as Record<string, string>;
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(english)) {
      expect(catalogue[key]?.trim(), `${language}: ${key}`).not.toBe('');
      expect(placeholders(catalogue[key]!), `${language}: ${key}`).toEqual(placeholders(text));
    }
  });

  it('marks a missing key on screen instead of showing nothing', () => {
    const problems: string[] = [];
    const t = translator('ko', { 'call.answer': '받기' }, (problem) => problems.push(problem));
    expect(t('call.answer')).toBe('받기');
    expect(t('call.decline')).toBe('⟦missing⟧call.decline');
    expect(problems).toEqual(['i18n: no "call.decline" in ko']);
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    const t = translator('en');
    expect(t('patient.call', { name: 'Pat' })).toBe('Call Pat');
    expect(t('patient.call')).toBe('Call {name}');
  });

  it("picks the browser's first language it speaks, by primary subtag, else English", () => {
    expect(detectLanguage(['ko-KR', 'en-US'])).toBe('ko');
    expect(detectLanguage(['fr-FR', 'en-GB', 'ko'])).toBe('en');
    expect(detectLanguage(['ja-JP', 'KO'])).toBe('ko');
    expect(detectLanguage(['de'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });
});
