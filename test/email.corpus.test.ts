import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, CORPUS_DIR, CorpusMissingError, corpusFiles, corpusMailDir, readExpected, runCorpus } from '../channels/email/corpus.ts';

describe('email corpus of real mails', () => {
  it('has at least 150 mails, each with its source in SOURCES.md and its expected outcome in expected.json', () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThanOrEqual(150);
    const sources = readFileSync(join(CORPUS_DIR, 'SOURCES.md'), 'utf8');
    expect(files.filter((f) => !sources.includes(`\`${f}\``))).toEqual([]);
    const expected = readExpected();
    expect(Object.keys(expected).sort()).toEqual([...files].sort());
    for (const category of CATEGORIES) expect(files.some((f) => f.startsWith(`${category}/`))).toBe(true);
  });

  it('reads every mail as expected.json says: stored, text, threading right and nothing automatic answered', { timeout: 120_000 }, async () => {
    const { verdicts } = await runCorpus();
    const unexpected = verdicts.filter((v) => v.problems.length > 0 && !v.knownWrong).map((v) => `${v.file}: ${v.problems.join('; ')}`);
    expect(unexpected).toEqual([]);
    // A mail recorded as still read wrong must really be: once it is read right, the table is updated.
    const nowRight = verdicts.filter((v) => v.knownWrong && v.problems.length === 0).map((v) => v.file);
    expect(nowRight).toEqual([]);
    expect(verdicts.filter((v) => v.wronglyAnswered)).toEqual([]);
    const bounces = verdicts.filter((v) => v.category === 'bounce');
    expect(bounces.length).toBeGreaterThanOrEqual(60);
    expect(bounces.every((v) => v.storedRight)).toBe(true);
  });

  it('says which corpus directory is missing or lacks a category folder', () => {
    expect(() => corpusMailDir({ PARLEY_EMAIL_CORPUS: '/nonexistent/corpus' })).toThrow(
      new CorpusMissingError('the corpus directory /nonexistent/corpus does not exist'),
    );
    expect(() => corpusMailDir({ PARLEY_EMAIL_CORPUS: join(CORPUS_DIR, 'bounce') })).toThrow(/has no bounce\/, auto-reply\/.* folder/);
    expect(corpusMailDir({})).toBe(CORPUS_DIR);
  });
});
