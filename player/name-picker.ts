import { NAME_MAX_LENGTH, type RenameAck } from '../chat/chat-events';
import { checkName, type ChatIdentity } from './identity';
import { ListenerBag } from './listener-bag';

export interface NamePickerElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  cancel: HTMLButtonElement;
  error: HTMLElement;
  /** Shows the current name; a click opens the picker. */
  chip: HTMLButtonElement;
  /** Hidden while the picker is open (the picker takes its place). */
  composer: HTMLElement;
}

/**
 * Choosing the display name: asked on the first visit (before the composer
 * appears), changed later by clicking your name. Kept in localStorage; while
 * connected the change goes to the server (`rename`) and only a name the
 * server accepts is kept.
 */
export class NamePicker {
  private readonly listeners = new ListenerBag();
  private busy = false;

  constructor(
    private readonly els: NamePickerElements,
    private readonly identity: ChatIdentity,
    /** Resolves with the server's answer, or null when not connected (the name is used at the next connection). */
    private readonly rename: (name: string) => Promise<RenameAck | null>,
  ) {}

  start(): void {
    const { form, cancel, chip, input } = this.els;
    input.maxLength = NAME_MAX_LENGTH * 2;
    this.listeners.on(form, 'submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.listeners.on(cancel, 'click', () => this.close());
    this.listeners.on(chip, 'click', () => this.open());
    this.listeners.on(form, 'keydown', (ev) => {
      if (ev.key === 'Escape' && this.identity.chosenName !== null) this.close();
    });
    this.showName(this.identity.name);
    if (this.identity.chosenName === null) this.open();
    else this.close();
  }

  stop(): void {
    this.listeners.clear();
  }

  get isOpen(): boolean {
    return !this.els.form.hidden;
  }

  /** The name the server knows us by (after the welcome or a rename). */
  showName(name: string): void {
    this.els.chip.textContent = name;
    this.els.chip.title = 'Change your name';
  }

  open(): void {
    const { form, input, cancel, composer, error } = this.els;
    const first = this.identity.chosenName === null;
    input.value = this.identity.chosenName ?? '';
    input.placeholder = this.identity.guestName;
    cancel.hidden = first;
    error.textContent = '';
    form.hidden = false;
    composer.hidden = true;
    input.focus();
  }

  close(): void {
    this.els.form.hidden = true;
    this.els.composer.hidden = false;
  }

  private async submit(): Promise<void> {
    if (this.busy) return;
    const { input, error } = this.els;
    const check = checkName(input.value || this.identity.guestName);
    if (!check.ok) {
      error.textContent = check.error;
      return;
    }
    this.busy = true;
    try {
      const ack = await this.rename(check.name);
      if (ack && !ack.ok) {
        error.textContent = ack.error.message;
        return;
      }
      const name = ack?.ok ? ack.you.name : check.name;
      this.identity.setName(name);
      this.showName(name);
      this.close();
    } finally {
      this.busy = false;
    }
  }
}
