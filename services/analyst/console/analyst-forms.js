// @ts-check
import { analystName, call, get } from './api.js';
import { h, indicatorHref, replace, when } from './dom.js';
import { problemView } from './problem-view.js';
import { verdictBadge } from './verdict-card.js';

const VERDICTS = ['malicious', 'suspicious', 'clean', 'unknown'];

/** @param {string} name @param {string} [selected] */
const verdictSelect = (name, selected) => h('select', { name }, ...VERDICTS.map((v) => h('option', { value: v, selected: v === selected }, v)));

/**
 * A form whose submit calls the API and shows the outcome, or the problem, under itself.
 * @param {HTMLFormElement} form
 * @param {(data: FormData) => Promise<Node>} action resolves to what to say on success
 * @param {Node} [notice] shown from the start (the outcome of the submit that redrew the page)
 */
function wire(form, action, notice) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' }, notice);
  form.append(status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    if (submit instanceof HTMLButtonElement) submit.disabled = true;
    replace(status);
    try {
      // The submitter's name and value (accept or reject) are part of what was asked.
      replace(status, await action(new FormData(form, /** @type {SubmitEvent} */ (event).submitter)));
    } catch (err) {
      replace(status, problemView(err));
    } finally {
      if (submit instanceof HTMLButtonElement) submit.disabled = false;
    }
  });
  return form;
}

/** @param {FormData} data @param {string} name */
const text = (data, name) => String(data.get(name) ?? '');

/**
 * Override: set a verdict that wins over every rule (audited), or lift the one in force.
 * @param {any} ind the indicator answer
 * @param {(outcome: Node) => void} changed called with what to say after the API accepted a change
 * @param {Node} [notice]
 */
export function overrideForm(ind, changed, notice) {
  const path = `/v1/overrides/${encodeURIComponent(ind.kind)}/${encodeURIComponent(ind.value)}`;
  const form = wire(h('form', { id: 'override-form', class: 'card form' },
    h('h3', {}, 'Override'),
    h('p', { class: 'muted small' }, 'Wins over every rule at once, at the edges too; kept in the audit log. Your tenant’s answers only, unless a curator key sets it for everyone.'),
    h('label', {}, 'Verdict ', verdictSelect('verdict', ind.verdict === 'malicious' ? 'clean' : 'malicious')),
    h('label', {}, 'For ', h('select', { name: 'scope' },
      h('option', { value: 'tenant', selected: true }, 'my tenant'),
      h('option', { value: 'global' }, 'everyone (curator keys)'))),
    h('label', {}, 'Reason', h('textarea', { name: 'reason', rows: 2, required: true, placeholder: 'why (kept in the audit log)' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Set override'))), async (data) => {
    const actor = analystName.get();
    const result = await call('PUT', path, { verdict: text(data, 'verdict'), reason: text(data, 'reason'), scope: text(data, 'scope'), ...(actor !== '' ? { actor } : {}) });
    const outcome = h('div', { class: 'ok' }, 'Override set for ', result.scope === 'global' ? 'everyone' : 'your tenant', '; the verdict is now ', verdictBadge(result.verdict), result.changed ? '' : ' (unchanged)');
    changed(outcome);
    return outcome.cloneNode(true);
  }, notice);
  if (ind.override !== null) {
    const lift = h('button', { type: 'button', class: 'secondary', id: 'lift-override' }, 'Lift override');
    lift.addEventListener('click', async () => {
      const status = /** @type {HTMLElement} */ (form.querySelector('.form-status'));
      try {
        const actor = analystName.get();
        const result = await call('DELETE', `${path}?scope=${encodeURIComponent(ind.override.scope)}${actor !== '' ? `&actor=${encodeURIComponent(actor)}` : ''}`);
        const outcome = h('div', { class: 'ok' }, 'Override lifted; the verdict is now ', verdictBadge(result.verdict));
        replace(status, outcome.cloneNode(true));
        changed(outcome);
      } catch (err) {
        replace(status, problemView(err));
      }
    });
    form.querySelector('.buttons')?.append(lift);
  }
  return form;
}

/**
 * Files a dispute of this indicator's verdict.
 * @param {any} ind
 * @param {(outcome: Node) => void} filed
 * @param {Node} [notice]
 */
export function disputeForm(ind, filed, notice) {
  return wire(h('form', { id: 'dispute-form', class: 'card form' },
    h('h3', {}, 'Dispute'),
    h('p', { class: 'muted small' }, 'Contest the verdict for everyone; one of the operator’s curators accepts it (as an override for every tenant) or rejects it. For your tenant’s answers alone, set an override.'),
    h('label', {}, 'Requested verdict ', verdictSelect('requested_verdict', ind.verdict === 'clean' ? 'malicious' : 'clean')),
    h('label', {}, 'Reason', h('textarea', { name: 'reason', rows: 2, required: true })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'File dispute'))), async (data) => {
    const d = await call('POST', '/v1/disputes', { kind: ind.kind, value: ind.value, requested_verdict: text(data, 'requested_verdict'), reason: text(data, 'reason') });
    const outcome = h('div', { class: 'ok' }, `Dispute ${d.id} filed.`);
    filed(outcome);
    return outcome.cloneNode(true);
  }, notice);
}

/**
 * Open disputes of the caller's tenant (every tenant's for a curator), each with accept / reject
 * and a note: a curator other than the filer decides, and the API's refusal shows inline otherwise.
 * @param {(outcome: Node) => void} resolved
 */
export async function disputesPanel(resolved) {
  const panel = h('section', { class: 'card', id: 'disputes' }, h('h3', {}, 'Open disputes'));
  try {
    const list = await get('/v1/disputes?status=open&limit=20');
    if (list.items.length === 0) panel.append(h('p', { class: 'muted' }, 'None open.'));
    for (const d of list.items) {
      panel.append(wire(h('form', { class: 'dispute', 'data-id': d.id },
        h('div', {}, h('a', { href: indicatorHref(d.kind, d.value) }, `${d.kind} ${d.value}`)),
        h('div', { class: 'small' }, verdictBadge(d.verdict_at_filing), ' → ', verdictBadge(d.requested_verdict), ` · ${when(d.created_at)}`),
        h('div', { class: 'small muted' }, d.reason),
        h('label', {}, 'Note', h('input', { name: 'note', required: true })),
        h('div', { class: 'buttons' },
          h('button', { type: 'submit', name: 'outcome', value: 'accept' }, 'Accept'),
          h('button', { type: 'submit', name: 'outcome', value: 'reject', class: 'secondary' }, 'Reject'))), async (data) => {
        const r = await call('POST', `/v1/disputes/${encodeURIComponent(d.id)}/resolve`, { outcome: text(data, 'outcome'), note: text(data, 'note') });
        const outcome = h('div', { class: 'ok' }, `Dispute ${r.id} ${r.status}.`);
        resolved(outcome);
        return outcome.cloneNode(true);
      }));
    }
  } catch (err) {
    panel.append(problemView(err));
  }
  return panel;
}
