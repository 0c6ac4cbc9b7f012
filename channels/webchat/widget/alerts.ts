/**
 * The visitor's sound and notification opt-in, remembered in localStorage: a short beep for each
 * new reply, and a system notification while the page is hidden (if the browser allowed it).
 */
export class Alerts {
  #audio: AudioContext | undefined;

  constructor(private readonly storageKey: string) {}

  get on(): boolean {
    return localStorage.getItem(`${this.storageKey}:alerts`) === '1';
  }

  /** Called from the toggle's click: browsers allow audio and the permission prompt only in a user gesture. */
  async set(on: boolean): Promise<void> {
    localStorage.setItem(`${this.storageKey}:alerts`, on ? '1' : '0');
    if (!on) return;
    this.#audio ??= new AudioContext();
    await this.#audio.resume();
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') await Notification.requestPermission();
  }

  /** A new reply arrived: beep, and notify when the page is hidden. */
  notify(title: string, body: string): void {
    if (!this.on) return;
    this.#beep();
    if (document.visibilityState === 'hidden' && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      new Notification(title, { body, tag: this.storageKey });
    }
  }

  #beep(): void {
    const audio = (this.#audio ??= new AudioContext());
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.2);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.2);
  }
}
