/**
 * What the console and the invocation history never show (hub/redact.ts): secrets, session tokens (fields named
 * token or refreshToken, and any compact JWS in a string), full phone numbers; and markers that a saved document
 * turns back into the stored values.
 */
import fc from 'fast-check';
import { redact, redactText, restoreRedacted } from '../hub/redact';

const JWS = 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvIn0.5lTq3k_8pQ';

test('token fields become markers whatever they hold; a compact JWS anywhere in a string makes it a marker', () => {
  expect(
    redact({
      token: JWS,
      refreshToken: 'r'.repeat(43),
      refresh_token: 'opaque',
      access_token: 'x',
      nested: [{ token: 7 }],
    }),
  ).toEqual({
    token: { $redacted: `a token, ${JWS.length} characters` },
    refreshToken: { $redacted: 'a token, 43 characters' },
    refresh_token: { $redacted: 'a token, 6 characters' },
    access_token: { $redacted: 'a token, 1 characters' },
    nested: [{ token: { $redacted: 'a token' } }],
  });
  expect(redact({ header: `Bearer ${JWS}` })).toEqual({
    header: { $redacted: `a token, ${JWS.length + 7} characters` },
  });
  expect(redact(JWS)).toEqual({ $redacted: `a token, ${JWS.length} characters` });
  // A null token is no token; dotted names and versions are no JWS.
  expect(redact({ token: null, file: 'console/app.min.js', version: '1.2.3', host: 'a.b.c' })).toEqual({
    token: null,
    file: 'console/app.min.js',
    version: '1.2.3',
    host: 'a.b.c',
  });
});

test('log lines keep their words, with each JWS replaced', () => {
  expect(redactText(`verified ${JWS} then ${JWS}.`, [])).toBe('verified [redacted token] then [redacted token].');
});

test('any JSON holding a token shows neither the token nor its signature', () => {
  const json = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.constant(JWS),
      fc.string().map((text) => `${text}${JWS}${text}`),
      fc.integer(),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('token', 'refreshToken', 'data', 'note', 'a'), tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      const shown = JSON.stringify(redact(value)) ?? '';
      expect(shown).not.toContain(JWS.split('.')[2]);
    }),
  );
});

test('a document saved from the console with its token markers keeps the stored tokens', () => {
  const stored = { _id: 's1', refreshToken: 'stored-refresh', note: `was ${JWS}` };
  const shown = redact(stored) as Record<string, unknown>;
  expect(restoreRedacted({ ...shown, extra: 1 }, stored)).toEqual({ ...stored, extra: 1 });
});
