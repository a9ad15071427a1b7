import type { AccountActions } from '../../../contracts';
import { db } from '../../../cloudbase/cloud';
import { AppFailure } from '../../../cloudbase/errors';
import type { Identity } from '../../../cloudbase/identity';
import { deleteFiles } from '../../../cloudbase/storage';
import {
  BANS,
  pseudonymOf,
  USER_OWNED_COLLECTIONS,
  USER_REFERENCING_COLLECTIONS,
  USERS,
  type BanDocument,
  type UserReferencingCollection,
} from '../../../cloudbase/user-data';
import { getUser, logoutUser, type UserDocument } from '../../../cloudbase/users';
import { accountOf } from './account-user';
import { allFileIDs } from './avatar';

/** Logout is idempotent: a caller without an account is logged out already. A banned one gets USER_BANNED. */
export async function logout(identity: Identity): Promise<AccountActions['logout']['result']> {
  const account = await accountOf(identity);
  if (account.user) account.require();
  await logoutUser(identity.openid);
  return { loggedOut: true };
}

/** Rounds of "sweep the files, then remove the account" before answering that the account keeps changing. */
const DELETION_ROUNDS = 5;

/**
 * 注销, idempotent and always completable:
 * 1. every file the user owns is deleted (already gone counts as deleted), and the deletion stops here, with the
 *    documents intact, if storage fails: the retry deletes again;
 * 2. the user's documents in every other collection go (by OPENID, idempotent);
 * 3. the users document goes last, and only if no file was added since step 1 read it (filesVersion unchanged):
 *    a save racing the deletion either recorded its file before step 1 (deleted there) or finds no account
 *    (and deletes its upload itself). Otherwise the round repeats;
 * 4. step 2 once more: a login that counted on the old document just before step 3 may have issued its
 *    session_key write (which runs beside its users write) after step 2.
 * A retry after a fault at any step finds what is left and finishes it; a user with nothing left is done.
 */
export async function deleteAccount(identity: Identity): Promise<AccountActions['deleteAccount']['result']> {
  const { openid } = identity;
  const _ = db().command;
  for (let round = 0; round < DELETION_ROUNDS; round += 1) {
    const user = await getUser(openid);
    // A banned user may delete their account too (PIPL: deletion is the user's right); the ban outlives it.
    if (user?.status === 'banned') await keepBan(openid, user);
    if (user) {
      const { failed } = await deleteFiles(allFileIDs(user, identity));
      if (failed.length > 0) {
        throw new AppFailure('INTERNAL', '删除文件失败，请稍后重试', { statuses: failed.map((file) => file.status) });
      }
    }
    await removeDependentDocuments(openid);
    if (!user) return { deleted: true };
    // Unchanged since the read: no file added (filesVersion), and no ban landed that keepBan has not kept.
    const unchanged = {
      _id: openid,
      filesVersion: user.filesVersion ?? _.exists(false),
      status: user.status === 'banned' ? 'banned' : _.neq('banned'),
    };
    const { stats } = (await db().collection(USERS).where(unchanged).remove()) as { stats?: { removed?: number } };
    if (stats?.removed) {
      await removeDependentDocuments(openid);
      return { deleted: true };
    }
  }
  throw new AppFailure('INTERNAL', '账号资料正在变化，请稍后重试', { reason: 'files kept changing' });
}

/** The user's documents in every collection but USERS, and their OPENID in the operator's records. */
async function removeDependentDocuments(openid: string): Promise<void> {
  const dependent = USER_OWNED_COLLECTIONS.filter(({ name }) => name !== USERS);
  await Promise.all([
    ...dependent.map(({ name, key }) => removeOwned(name, key, openid)),
    ...USER_REFERENCING_COLLECTIONS.map((collection) => pseudonymize(collection, openid)),
  ]);
}

/** What the operator keeps names the user by pseudonym only, without free text about them (a ban reason). */
async function pseudonymize(collection: UserReferencingCollection, openid: string): Promise<void> {
  const _ = db().command;
  const records = db().collection(collection.name);
  const dropped = Object.fromEntries(collection.dropFields.map((field) => [field, _.remove()]));
  await Promise.all(
    collection.openidFields.map(async (field) => {
      await records
        .where({ [field]: openid })
        .update({ data: { [field]: pseudonymOf(openid), pseudonymized: true, ...dropped } });
    }),
  );
}

/** The ban of a user who deletes their account, kept under the OPENID's pseudonym (idempotent). */
async function keepBan(openid: string, user: UserDocument): Promise<void> {
  const ban: Omit<BanDocument, '_id'> = {
    deletedAt: new Date(),
    ...(user.bannedAt ? { bannedAt: user.bannedAt } : {}),
  };
  await db().collection(BANS).doc(pseudonymOf(openid)).set({ data: ban });
}

/** The user's documents in one collection: by _id, or every document whose `openid` field is theirs. */
async function removeOwned(collection: string, key: '_id' | 'openid', openid: string): Promise<void> {
  const documents = db().collection(collection);
  await (key === '_id' ? documents.doc(openid).remove() : documents.where({ openid }).remove());
}
