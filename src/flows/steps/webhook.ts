import { parseDuration } from '../../core/duration.ts';
import { fillTemplate } from '../text.ts';
import type { StepExecutor } from './executor.ts';

/**
 * Calls a URL with templated headers and body within its timeout, saves fields of the JSON
 * answer into variables, and takes `on_error` when the call fails (webhook_error says why).
 */
export const executeWebhook: StepExecutor<'webhook'> = async (step, run) => {
  const hook = step.webhook;
  const view = run.view();
  const { variables } = run.session;
  let ok = true;
  try {
    const url = fillTemplate(hook.url, view);
    const body = hook.body ? JSON.stringify(Object.fromEntries(Object.entries(hook.body).map(([k, v]) => [k, fillTemplate(v, view)]))) : undefined;
    const response = await run.ctx.fetch(url, {
      method: hook.method,
      headers: { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(hook.headers).map(([k, v]) => [k, fillTemplate(v, view)])) },
      body: hook.method === 'GET' ? undefined : body,
      signal: AbortSignal.timeout(parseDuration(hook.timeout)),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const json = (await response.json().catch(() => ({}))) as unknown;
    for (const [variable, path] of Object.entries(hook.save)) {
      variables[variable] = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), json);
    }
    variables.webhook_error = null;
  } catch (error) {
    variables.webhook_error = (error as Error).message;
    ok = false;
  }
  return run.goTo(ok ? step.next : (hook.on_error ?? step.next), step);
};
