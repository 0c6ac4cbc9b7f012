import { useRef } from 'preact/hooks';
import { ApiError } from './api.ts';
import './campaign-texts.ts';
import { t } from './i18n.ts';

/** A problem of a typed document, as the server located it (src/studio/document-problems.ts). */
export interface DocumentProblem {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** The located problems of a refusal, or one problem with the error's message. */
export function problemsOf(error: unknown): DocumentProblem[] {
  if (error instanceof ApiError && error.problems?.length) return [...error.problems];
  return [{ path: '', message: (error as Error).message }];
}

/**
 * A YAML (or JSON) text area with line numbers; the lines a problem points at are marked, and
 * a problem's "line n" puts the caret there. Always left to right: it is code, also in fa and ar.
 */
export function YamlField({
  name,
  value,
  onInput,
  problems,
  rows = 12,
}: {
  name: string;
  value: string;
  onInput: (value: string) => void;
  problems: readonly DocumentProblem[];
  rows?: number;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lineCount = Math.max(value.split('\n').length, rows);
  const marked = new Set(problems.flatMap((p) => (p.line ? [p.line] : [])));
  const jump = (line: number) => {
    const textarea = area.current;
    if (!textarea) return;
    const lines = textarea.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };
  return (
    <div class="yaml-field">
      <div class="yaml-editor" dir="ltr">
        <div class="gutter" aria-hidden="true">
          <div class="gutter-lines" ref={gutter}>
            {Array.from({ length: lineCount }, (_, i) => (
              <div key={i} class={marked.has(i + 1) ? 'marked' : undefined}>
                {i + 1}
              </div>
            ))}
          </div>
        </div>
        <textarea
          ref={area}
          name={name}
          rows={rows}
          wrap="off"
          spellcheck={false}
          aria-invalid={problems.length > 0}
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          onScroll={(e) => {
            // The numbers follow the text as it scrolls; the gutter itself never grows the field.
            if (gutter.current) gutter.current.style.transform = `translateY(${-e.currentTarget.scrollTop}px)`;
          }}
        />
      </div>
      {problems.length > 0 && (
        <ul class="problems error" data-problems={name}>
          {problems.map((p, i) => (
            <li key={i} data-line={p.line ?? ''} data-path={p.path}>
              {p.line !== undefined && (
                <button type="button" class="link" onClick={() => jump(p.line as number)}>
                  {t('problems.line', { line: p.line })}
                </button>
              )}{' '}
              <bdi dir="ltr">
                {p.path ? `${p.path}: ` : ''}
                {p.message}
              </bdi>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
