import type { LoginLogEntry } from '../contracts';
import { AppFailure } from '../core/errors';
import { maskPhone } from '../core/phone';
import type { AccountStore, Identity, PhoneNumber, UserRecord } from '../core/ports';
import { pseudonymOf } from '../core/pseudonym';
import { sameAccountAs } from './avatar-files';
import { db } from './cloud';
import { allFileIDs } from './files';
import { deleteFiles } from './storage';
import {
  ADMIN_LOGS,
  BANS,
  LOGIN_LOGS,
  PHONES,
  USER_OWNED_COLLECTIONS,
  USER_REFERENCING_COLLECTIONS,
  USERS,
  type BanDocument,
  type LoginLogDocument,
  type PhoneDocument,
  type UserDocument,
  type UserReferencingCollection,
} from './user-data';
import {
  adoptLegacyDocument,
  banOutlivedAccount,
  documentOf,
  getSessionKey,
  getUser,
  logoutUser,
  recordLogin,
  toRecord,
  updateUser,
  updateUserWhere,
} from './users';

/**
 * The accounts in the CloudBase database (the collections of user-data.ts) and cloud storage. No transactions: each
 * step is a conditional write that a retry can repeat, as the comments of each method say.
 */
export const cloudStore: AccountStore = {
  getUser: async (openid) => orNull(await getUser(openid)),
  isBanKept: banOutlivedAccount,
  recordLogin: async (input) => {
    const { user, isNewUser } = await recordLogin(input);
    // A document the kit did not create (an existing users collection) gets what the kit needs, once.
    const adopted = await adoptLegacyDocument(user);
    if (!adopted) throw new AppFailure('USER_NOT_FOUND', '账号不存在，请先登录', { reason: 'deleted during login' });
    return { user: toRecord(adopted), isNewUser };
  },
  withAccountId: async (user) => orNull(await adoptLegacyDocument(documentOf(user))),
  getSessionKey,
  setConsent: async (openid, consent) => orNull(await updateUser(openid, { consent, updatedAt: new Date() })),
  updateProfile: async (user, changes) =>
    orNull(await updateUserWhere(sameAccountAs(documentOf(user)), changes, user.openid)),
  savePhone,
  logout: logoutUser,
  deleteAccount,
  ban,
  unban,
  listLogins,
  pruneLogins: async (cutoff) => {
    const { stats } = (await db()
      .collection(LOGIN_LOGS)
      .where({ at: db().command.lt(cutoff) })
      .remove()) as { stats?: { removed?: number } };
    return stats?.removed ?? 0;
  },
  putLoginLog: async (id, entry) => {
    await db().collection(LOGIN_LOGS).doc(id).set({ data: entry });
  },
  putAdminLog: async (id, entry) => {
    await db().collection(ADMIN_LOGS).doc(id).set({ data: entry });
  },
  completeAdminLog: async (id, outcome) => {
    await db().collection(ADMIN_LOGS).doc(id).update({ data: outcome });
  },
};

function orNull(doc: UserDocument | null): UserRecord | null {
  return doc ? toRecord(doc) : null;
}

/**
 * Minimisation: the full number goes to the server-only PHONES collection; the owner-readable users document keeps
 * the masked number and the country code (and loses the full number older versions kept there).
 *
 * Racing 注销: the phone document is written first, then the users document is updated only if it still exists;
 * when it is gone, the phone document is removed again. 注销 removes the users document before its last sweep of
 * PHONES, so either the users update came first (the sweep after it removes the phone document) or it finds no
 * account (and the removal here does). No phone document outlives its account.
 */
async function savePhone(openid: string, phone: PhoneNumber, now: Date): Promise<UserRecord | null> {
  const phones = db().collection(PHONES);
  const stored: Omit<PhoneDocument, '_id'> = { ...phone, updatedAt: now };
  await phones.doc(openid).set({ data: stored });
  const user = await updateUser(openid, {
    phoneMasked: maskPhone(phone.phoneNumber),
    countryCode: phone.countryCode,
    phoneNumber: db().command.remove(),
    updatedAt: now,
  });
  if (!user) {
    // One retry: a phone document left here would outlive the account it belonged to.
    const removePhone = async (): Promise<void> => {
      await phones.doc(openid).remove();
    };
    await removePhone().catch(removePhone);
  }
  return orNull(user);
}

/** Bans once: a second ban of a banned user changes nothing (the session version is bumped by the first). */
async function ban(openid: string, reason: string | undefined, now: Date): Promise<UserRecord | null> {
  const _ = db().command;
  const changes: Record<string, unknown> = {
    status: 'banned',
    bannedAt: now,
    sessionVersion: _.inc(1),
    ...(reason === undefined ? {} : { banReason: reason }),
  };
  for (let round = 0; round < BAN_ROUNDS; round += 1) {
    const banned = await updateUserWhere({ _id: openid, status: _.neq('banned') }, changes);
    if (banned) return toRecord(banned);
    const current = await getUser(openid);
    if (!current || current.status === 'banned') return orNull(current);
    // No account when the update ran, one now: a login created it in between (after a 注销). The ban is for the
    // OPENID, so it bans this account too, rather than answer ok about an account it never touched.
  }
  throw new AppFailure('INTERNAL', '账号资料正在变化，请稍后重试', { reason: 'account kept changing during the ban' });
}

/** Rounds of "ban, or find it banned or gone" before answering that the account keeps changing. */
const BAN_ROUNDS = 3;

/** Lifts the ban, and the one kept for the OPENID if the banned user deleted their account. */
async function unban(openid: string): Promise<UserRecord | null> {
  const _ = db().command;
  const [user] = await Promise.all([
    updateUser(openid, { status: 'active', banReason: _.remove(), bannedAt: _.remove() }),
    db().collection(BANS).doc(pseudonymOf(openid)).remove(),
  ]);
  return orNull(user);
}

async function listLogins(openid: string, limit: number): Promise<LoginLogEntry[]> {
  const { data } = (await db()
    .collection(LOGIN_LOGS)
    .where({ openid })
    .orderBy('at', 'desc')
    .limit(limit)
    .get()) as unknown as { data: LoginLogDocument[] };
  return data.map((doc) => {
    const entry: LoginLogEntry = {
      openid: doc.openid,
      at: new Date(doc.at).toISOString(),
      ok: doc.ok,
      withCode: doc.withCode,
    };
    if (doc.errorCode !== undefined) entry.errorCode = doc.errorCode;
    if (doc.refresh) entry.refresh = true;
    if (doc.isNewUser !== undefined) entry.isNewUser = doc.isNewUser;
    if (doc.clientIp !== undefined) entry.clientIp = doc.clientIp;
    if (doc.source !== undefined) entry.source = doc.source;
    return entry;
  });
}

/** Rounds of "sweep the files, then remove the account" before answering that the account keeps changing. */
const DELETION_ROUNDS = 5;

/**
 * 注销, idempotent and always completable:
 * 1. a banned user's ban is kept under the OPENID's pseudonym (BANS), so that it outlives the account;
 * 2. every file the user owns is deleted (already gone counts as deleted), and the deletion stops here, with the
 *    documents intact, if storage fails: the retry deletes again;
 * 3. the user's documents in every other collection go (by OPENID, idempotent), and the operator's records name
 *    the user by pseudonym only;
 * 4. the users document goes last, and only if unchanged since step 2 read it (no file added, no ban landed):
 *    a save racing the deletion either recorded its file before step 2 (deleted there) or finds no account (and
 *    deletes its upload itself); a racing ban is kept by the next round. Otherwise the round repeats;
 * 5. step 3 once more: a login that counted on the old document just before step 4 may have issued its
 *    session_key write (which runs beside its users write) after step 3.
 * A retry after a fault at any step finds what is left and finishes it; a user with nothing left is done.
 */
async function deleteAccount(identity: Identity): Promise<void> {
  const { openid } = identity;
  const _ = db().command;
  for (let round = 0; round < DELETION_ROUNDS; round += 1) {
    const user = await getUser(openid);
    // A banned user may delete their account too (PIPL: deletion is the user's right); the ban outlives it.
    if (user?.status === 'banned') await keepBan(openid, user);
    if (user) {
      const { failed } = await deleteFiles(allFileIDs(user, identity.env));
      if (failed.length > 0) {
        throw new AppFailure('INTERNAL', '删除文件失败，请稍后重试', { statuses: failed.map((file) => file.status) });
      }
    }
    await removeDependentDocuments(openid);
    if (!user) return;
    const unchanged = {
      _id: openid,
      filesVersion: user.filesVersion ?? _.exists(false),
      status: user.status === 'banned' ? 'banned' : _.neq('banned'),
    };
    const { stats } = (await db().collection(USERS).where(unchanged).remove()) as { stats?: { removed?: number } };
    if (stats?.removed) {
      await removeDependentDocuments(openid);
      return;
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

/** The user's documents in one collection: by _id, or every document whose `openid` field is theirs. */
async function removeOwned(collection: string, key: '_id' | 'openid', openid: string): Promise<void> {
  const documents = db().collection(collection);
  await (key === '_id' ? documents.doc(openid).remove() : documents.where({ openid }).remove());
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
  const kept: Omit<BanDocument, '_id'> = {
    deletedAt: new Date(),
    ...(user.bannedAt ? { bannedAt: user.bannedAt } : {}),
  };
  await db().collection(BANS).doc(pseudonymOf(openid)).set({ data: kept });
}
