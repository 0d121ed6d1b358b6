/**
 * A loud ringtone made with WebAudio (no audio file to ship or fail to load) and the phone's
 * vibration where the browser allows it. Browsers start audio only after the person has touched
 * the page once: `needsTap` is true until then, and the patient screen asks for that tap.
 */

/** one ring: two tones together for 1 s, then 2 s of silence (a familiar phone ring) */
const RING_MS = 1_000;
const PERIOD_MS = 3_000;
const TONES_HZ = [440, 480];
/** vibrate in step with the ring */
const VIBRATION = [RING_MS, PERIOD_MS - RING_MS];

export class Ringtone {
  private readonly context: AudioContext | null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor() {
    const Context = globalThis.AudioContext as typeof AudioContext | undefined;
    this.context = Context ? new Context() : null;
    this.context?.addEventListener('statechange', () => this.listeners.forEach((l) => l()));
  }

  /** Audio waits for a first touch of the page (the browser's autoplay rule). */
  get needsTap(): boolean {
    return this.context?.state === 'suspended';
  }

  get ringing(): boolean {
    return this.timer !== null;
  }

  /** Call from a tap or click: allows sound from now on. */
  unlock(): Promise<void> {
    return this.context?.resume() ?? Promise.resolve();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer !== null) return;
    const ring = (): void => {
      this.beep();
      navigator.vibrate?.(VIBRATION);
    };
    ring();
    this.timer = setInterval(ring, PERIOD_MS);
    this.listeners.forEach((l) => l());
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    navigator.vibrate?.(0);
    this.listeners.forEach((l) => l());
  }

  private beep(): void {
    const context = this.context;
    if (!context || context.state !== 'running') return;
    const start = context.currentTime;
    const end = start + RING_MS / 1000;
    const gain = context.createGain();
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.9, start + 0.02);
    gain.gain.setValueAtTime(0.9, end - 0.05);
    gain.gain.linearRampToValueAtTime(0, end);
    gain.connect(context.destination);
    for (const hz of TONES_HZ) {
      const tone = context.createOscillator();
      tone.type = 'sine';
      tone.frequency.value = hz;
      tone.connect(gain);
      tone.start(start);
      tone.stop(end);
    }
  }
}
