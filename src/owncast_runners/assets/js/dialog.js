// Modal dialogs of the viewer page (sign-in, follow): a native <dialog> opened with showModal(),
// so the rest of the page is inert, Esc closes it and focus stays inside. It is titled for
// assistive technology (aria-labelledby), puts focus on its first field when opened and gives it
// back to whatever had it before (the button that opened it) when closed. Also the status line
// (`role=status`) these dialogs use to show progress and the server's own error messages.
import { el, clear } from './dom.js';

let dialogs = 0;

export class Modal {
  /** `title`: the heading text; `className`: extra class for the <dialog>. */
  constructor(title, { className = '' } = {}) {
    dialogs += 1;
    const titleId = `modal-title-${dialogs}`;
    this.opener = null;
    this.body = el('div', { class: 'modal-body' });
    this.dialog = el('dialog', { class: `modal ${className}`.trim(), 'aria-labelledby': titleId },
      el('div', { class: 'modal-bar' },
        el('h2', { id: titleId }, title),
        el('button', { type: 'button', class: 'modal-close', 'aria-label': 'Close', onclick: () => this.close() },
          '✕')),
      this.body);
    // A click on the backdrop (the dialog element itself, outside its content) closes it too.
    this.dialog.addEventListener('click', (event) => { if (event.target === this.dialog) this.close(); });
    this.dialog.addEventListener('close', () => this.restoreFocus());
    document.body.append(this.dialog);
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    if (this.dialog.open) return;
    this.opener = document.activeElement;
    this.dialog.showModal();
    this.focusFirst();
  }

  /** Focus the first enabled visible field (else button, else the close button) of the content. */
  focusFirst() {
    const usable = (selector) => [...this.body.querySelectorAll(selector)]
      .find((node) => !node.disabled && node.offsetParent !== null);
    (usable('input, textarea, select') || usable('button') || this.dialog.querySelector('.modal-close')).focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  restoreFocus() {
    if (this.opener && this.opener.isConnected && typeof this.opener.focus === 'function') this.opener.focus();
    this.opener = null;
  }
}

/** A status line for a form: `show(text, kind)` with kind 'error', 'ok' or '' (progress). */
export function statusLine() {
  const node = el('p', { class: 'form-status', role: 'status', hidden: true });
  return {
    node,
    show(text, kind = '') {
      node.className = `form-status${kind ? ` is-${kind}` : ''}`;
      clear(node, text);
      node.hidden = !text;
    },
    hide() {
      node.hidden = true;
      clear(node);
    },
  };
}

/** True for an absolute http(s) URL, the only kind the page navigates to on a server's word. */
export function isWebUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
