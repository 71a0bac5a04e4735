// @ts-check
import { ApiError } from './api.js';
import { h } from './dom.js';

/**
 * An error shown inline where it happened: the problem's title and detail, and each field
 * the API named with its reason.
 * @param {unknown} err
 */
export function problemView(err) {
  if (!(err instanceof ApiError)) return h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Error: '), String(err));
  const p = err.problem;
  return h('div', { class: 'problem', role: 'alert', 'data-status': err.status, 'data-code': p.code ?? '' },
    h('strong', {}, p.title ?? 'Error'), err.status > 0 ? ` (${err.status}${p.code !== undefined ? ` ${p.code}` : ''})` : '',
    p.detail !== undefined ? h('div', { class: 'problem-detail' }, p.detail) : null,
    p.errors !== undefined && p.errors.length > 0
      ? h('ul', { class: 'problem-fields' }, ...p.errors.map((e) => h('li', {}, h('code', {}, e.field), ' ', e.reason)))
      : null);
}
