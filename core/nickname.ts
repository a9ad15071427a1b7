import { NICKNAME_MAX_LENGTH } from '../contracts';

/**
 * Nickname rules: after NFC normalisation and trimming, 1 to NICKNAME_MAX_LENGTH characters (code points), all of
 * them visible or ordinary spaces, at least one of them a letter, digit, punctuation mark or symbol. Refused:
 * - control characters (NUL, newlines, DEL, C1), line and paragraph separators;
 * - format and default-ignorable characters: zero-width space/joiners, word joiner, bidi overrides and isolates,
 *   soft hyphen, Mongolian vowel separator, tag characters, variation selectors, the Hangul fillers;
 * - the braille blank (a "visible" symbol that renders as nothing);
 * - lone surrogates, private-use and unassigned code points.
 * Emoji sequences stay usable: a zero-width joiner between two pictographs (👨‍👩‍👧) and a variation selector right
 * after an emoji (❤️, 1️⃣) are part of the emoji, not hidden text.
 */

const ZWJ = 0x200d;
const VARIATION_SELECTORS = new Set([0xfe0e, 0xfe0f]);
const BRAILLE_BLANK = 0x2800;

/** Code points that are never acceptable anywhere in a nickname. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI = /\p{Emoji}/u;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

export type NicknameCheck = { ok: true; nickName: string } | { ok: false; reason: string };

export function checkNickname(input: string): NicknameCheck {
  // A lone surrogate makes normalize() keep it as is; it is refused below as \p{Cs}.
  const nickName = input.normalize('NFC').trim();
  const chars = Array.from(nickName);
  if (chars.length === 0) return { ok: false, reason: 'empty' };
  if (chars.length > NICKNAME_MAX_LENGTH) return { ok: false, reason: 'too long' };
  for (const [index, char] of chars.entries()) {
    const code = char.codePointAt(0) ?? 0;
    if (code === BRAILLE_BLANK) return { ok: false, reason: 'invisible character' };
    if (!INVISIBLE.test(char)) continue;
    if (code === ZWJ && joinsPictographs(chars, index)) continue;
    if (VARIATION_SELECTORS.has(code) && EMOJI.test(chars[index - 1] ?? '')) continue;
    return { ok: false, reason: `U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed` };
  }
  if (!chars.some((char) => VISIBLE.test(char))) return { ok: false, reason: 'nothing visible' };
  return { ok: true, nickName };
}

/** A ZWJ inside an emoji ZWJ sequence: a pictograph (maybe with a modifier or VS16) before, a pictograph after. */
function joinsPictographs(chars: readonly string[], index: number): boolean {
  const isDecoration = (char: string) => VARIATION_SELECTORS.has(char.codePointAt(0) ?? 0) || EMOJI_MODIFIER.test(char);
  let before = index - 1;
  while (before >= 0 && isDecoration(chars[before] ?? '')) before -= 1;
  return PICTOGRAPH.test(chars[before] ?? '') && PICTOGRAPH.test(chars[index + 1] ?? '');
}
