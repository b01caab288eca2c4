/** Readable made-up titles for synthetic items, so the demo's lists read like a catalogue. Seeded. */
import type { Rng } from '../util/random.ts';

const WORDS: Record<string, [string[], string[]]> = {
  Action: [['Iron', 'Burning', 'Final', 'Steel', 'Rogue', 'Hard', 'Red', 'Black'], ['Strike', 'Protocol', 'Vendetta', 'Fury', 'Run', 'Target', 'Line', 'Siege']],
  Comedy: [['Crazy', 'Wedding', 'Lucky', 'Big', 'Happy', 'Accidental', 'Funny', 'Weekend'], ['Neighbours', 'Business', 'Trouble', 'Road Trip', 'Plans', 'Holiday', 'Roommates', 'Uncle']],
  Drama: [['Quiet', 'Distant', 'Broken', 'Winter', 'Silent', 'Long', 'Last', 'Open'], ['Harbor', 'Letters', 'Shore', 'River', 'Promise', 'Years', 'Garden', 'Road']],
  'Sci-Fi': [['Dark', 'Outer', 'Quantum', 'Lost', 'Red', 'Star', 'Deep', 'Hidden'], ['Orbit', 'Horizon', 'Signal', 'Colony', 'Frontier', 'Nebula', 'Station', 'Planet']],
  Horror: [['Hollow', 'Cursed', 'Haunted', 'Silent', 'Crimson', 'Dead', 'Night', 'Grim'], ['House', 'Woods', 'Ritual', 'Visitor', 'Cellar', 'Hour', 'Mask', 'Chapel']],
  Romance: [['Summer', 'Paris', 'Second', 'Sweet', 'Autumn', 'Little', 'Endless', 'Secret'], ['Kiss', 'Love', 'Letters', 'Dance', 'Hearts', 'Chance', 'Promise', 'Affair']],
  Animation: [['Tiny', 'Magic', 'Brave', 'Flying', 'Clever', 'Wild', 'Sleepy', 'Golden'], ['Dragon', 'Robot', 'Kingdom', 'Fox', 'Penguins', 'Island', 'Toys', 'Forest']],
  Documentary: [['Inside', 'Beyond', 'The Real', 'Behind', 'Voices of', 'Under', 'Saving', 'Chasing'], ['the Reef', 'the Music', 'the Ice', 'the Game', 'Tomorrow', 'the Machine', 'the Desert', 'the Story']],
  Thriller: [['Double', 'Cold', 'Blind', 'Silent', 'Gone', 'Perfect', 'Dead', 'Night'], ['Witness', 'Alibi', 'Motive', 'Stranger', 'Exit', 'Trace', 'Suspect', 'Call']],
  Crime: [['Dirty', 'Street', 'Heavy', 'Lucky', 'Cold', 'Big', 'Small', 'Loose'], ['Money', 'Heist', 'Score', 'Cartel', 'Deal', 'Job', 'Streets', 'Family']],
};

export const SYNTHETIC_GENRES = Object.keys(WORDS);

export function makeTitle(genre: string, rng: Rng, serial: number): string {
  const [a, b] = WORDS[genre];
  const year = 1950 + rng.int(74);
  // 64 base titles per genre; later ones become numbered sequels, so titles stay distinct.
  const base = `${a[serial % 8]} ${b[Math.floor(serial / 8) % 8]}`;
  const part = Math.floor(serial / 64);
  return `${part ? `${base} ${part + 1}` : base} (${year})`;
}
