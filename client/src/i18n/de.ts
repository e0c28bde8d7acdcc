import type { Catalogue } from './en';

// German, partial on purpose: what is missing falls back to English.
export const de: Catalogue = {
  'app.skipToContent': 'Zum Inhalt springen',
  'app.loading': 'Wird geladen…',
  'app.retry': 'Erneut versuchen',
  'nav.main': 'Hauptmenü',
  'nav.fleet': 'Flotte',
  'nav.settings': 'Einstellungen',
  'nav.live': 'Live',
  'nav.commands': 'Befehle',
  'fleet.title': 'Flotte',
  'fleet.count.one': '{count} Fahrzeug',
  'fleet.count.other': '{count} Fahrzeuge',
  'state.DRIVING': 'Fährt',
  'state.CHARGING': 'Lädt',
  'state.ASLEEP': 'Schläft',
  'state.ONLINE': 'Online',
  'signal.BatteryLevel': 'Akku',
  'signal.VehicleSpeed': 'Geschwindigkeit',
  'commands.title': 'Befehle',
  'commands.send': 'Befehl senden',
  'validation.required': 'Pflichtfeld.',
  'validation.range': 'Muss zwischen {min} und {max} liegen.',
  'settings.title': 'Einstellungen',
};
