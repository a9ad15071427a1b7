import { parseAvatarFileID } from '../../cloudbase/files';

const isOwnAvatar = (fileID: string, owner: { openid: string; env?: string }) =>
  parseAvatarFileID(fileID, owner) !== undefined;

const me = { openid: 'oMeMeMeMeMeMeMeMeMeMeMeMeMe1', env: 'prod-1a2b' };
const bucket = `cloud://prod-1a2b.7072-prod-1a2b-wx0123456789abcdef`;

test('a file the client named under my folder in this environment is mine', () => {
  expect(isOwnAvatar(`${bucket}/avatars/${me.openid}/1795471807127-9gq2ri.jpg`, me)).toBe(true);
});

test.each([
  ['another user', `${bucket}/avatars/oSomeoneElse000000000000000/1795471807127-9gq2ri.jpg`],
  [
    'another environment',
    `cloud://other-env.6f74-other-env-wx0123456789abcdef/avatars/${me.openid}/1795471807127-9gq2ri.jpg`,
  ],
  ['a dot segment', `${bucket}/avatars/${me.openid}/..`],
  ['an encoded traversal', `${bucket}/avatars/${me.openid}/..%2F..%2FoVictim%2Fa.jpg`],
  ['backslashes', `${bucket}/avatars/${me.openid}/..\\..\\oVictim\\a.jpg`],
  ['an encoded dot', `${bucket}/avatars/${me.openid}/%2e%2e`],
  ['a query string', `${bucket}/avatars/${me.openid}/1795471807127-9gq2ri.jpg?x=1`],
  ['a newline', `${bucket}/avatars/${me.openid}/1795471807127-9gq2ri.jpg\n`],
  ['a nested path', `${bucket}/avatars/${me.openid}/a/1795471807127-9gq2ri.jpg`],
  ['another folder', `${bucket}/private/${me.openid}/1795471807127-9gq2ri.jpg`],
  ['a URL', 'https://example.com/a.jpg'],
])('%s is refused', (_what, fileID) => {
  expect(isOwnAvatar(fileID, me)).toBe(false);
});
