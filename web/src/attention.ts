// A new alert gets attention at once: a tone and a vibration where the browser allows, and a
// system notification while the app is in the background. The notification carries the
// reference and category only — never an image (FCM stays the path for native apps).
import type { Alert } from "./api/types";
import { CATEGORY } from "./ui/common";

let audio: AudioContext | null = null;

/** Call from a user gesture (login, a button) so the browser lets the app play sound. */
export function unlockSound(): void {
  try {
    audio ??= new AudioContext();
    void audio.resume();
  } catch {
    audio = null;
  }
}

function tone(): void {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  for (const [at, freq] of [[0, 880], [0.18, 1175]] as const) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(0.25, now + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 0.17);
  }
}

export function notificationsAvailable(): boolean {
  return "Notification" in window;
}

export async function askForNotifications(): Promise<NotificationPermission> {
  unlockSound();
  return notificationsAvailable() ? Notification.requestPermission() : "denied";
}

export function attend(alert: Alert): void {
  tone();
  if ("vibrate" in navigator) navigator.vibrate([200, 100, 200]);
  if (document.visibilityState === "hidden" && notificationsAvailable() && Notification.permission === "granted") {
    const n = new Notification("LFR alert: an officer's judgement is needed", {
      body: `${CATEGORY[alert.watchlist_entry.category] ?? alert.watchlist_entry.category} · ${alert.camera.location || alert.camera.id}`,
      tag: alert.id,
      requireInteraction: true,
    });
    n.onclick = () => {
      window.focus();
      location.hash = `#/officer/d/${encodeURIComponent(alert.deployment_id)}/a/${encodeURIComponent(alert.id)}`;
      n.close();
    };
  }
}
